//! Array input and output (`array_in` / `array_out`), any number of dimensions.
//!
//! Input: `{1,2,NULL}`, nested braces for more dimensions (`{{1,2},{3,4}}`, sub-arrays of
//! one level must have matching lengths, at most [`MAX_ARRAY_DIMS`] levels), whitespace
//! around elements ignored, double-quoted elements with backslash escapes, backslash escapes
//! in unquoted elements, unquoted `NULL` (any case) as a NULL element, `{}` for the empty
//! array, and an optional `[lb:ub][lb:ub]=` dimension decoration giving lower bounds.
//! Output quotes an element when it is empty, is `NULL` in any case, or contains `{ } , " \`
//! or whitespace, escaping `"` and `\` inside the quotes, and writes the decoration when a
//! lower bound is not 1.

use super::datatype::DataType;
use super::datetime::TypeContext;
use super::error::{TypeError, TypeResult, codes};
use super::text::{format_text, parse_text};
use super::value::{ArrayDim, ArrayValue, MAX_ARRAY_DIMS, Value};

fn is_array_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0B' | b'\x0C')
}

fn malformed(input: &str, detail: &str) -> TypeError {
    TypeError::new(
        codes::INVALID_TEXT_REPRESENTATION,
        format!("malformed array literal: \"{input}\""),
    )
    .with_detail(detail)
}

fn too_many_dims(n: usize) -> TypeError {
    TypeError::new(
        "54000",
        format!("number of array dimensions ({n}) exceeds the maximum allowed ({MAX_ARRAY_DIMS})"),
    )
}

/// The array text as read: elements (`None` for an unquoted NULL) and lengths per level.
struct Parsed {
    elements: Vec<Option<String>>,
    /// The length of each level, outermost first; empty for `{}`.
    lens: Vec<usize>,
}

struct Reader<'a> {
    input: &'a str,
    b: &'a [u8],
    i: usize,
    /// Length of each level seen so far (`None` until a level of that depth closes).
    lens: Vec<Option<usize>>,
    /// The depth at which elements sit, once one was read.
    leaf_depth: Option<usize>,
    elements: Vec<Option<String>>,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.b.len() && is_array_space(self.b[self.i]) {
            self.i += 1;
        }
    }

    fn err(&self, detail: &str) -> TypeError {
        malformed(self.input, detail)
    }

    fn mismatch(&self) -> TypeError {
        self.err("Multidimensional arrays must have sub-arrays with matching dimensions.")
    }

    /// One brace level at `depth` (1 for the outermost); `self.i` is at its `{`.
    fn level(&mut self, depth: usize) -> TypeResult<()> {
        if depth > MAX_ARRAY_DIMS {
            return Err(too_many_dims(depth));
        }
        if self.lens.len() < depth {
            self.lens.push(None);
        }
        self.i += 1;
        self.skip_ws();
        if self.b.get(self.i) == Some(&b'}') {
            if depth > 1 {
                return Err(self.err("Unexpected \"}\" character."));
            }
            self.i += 1;
            return Ok(());
        }
        let mut count = 0usize;
        let mut has_sub = None::<bool>;
        loop {
            self.skip_ws();
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.err("Unexpected end of input."));
            };
            match c {
                b'{' => {
                    if has_sub == Some(false) {
                        return Err(self.err("Unexpected \"{\" character."));
                    }
                    has_sub = Some(true);
                    self.level(depth + 1)?;
                }
                b',' => return Err(self.err("Unexpected \",\" character.")),
                b'}' => return Err(self.err("Unexpected \"}\" character.")),
                _ => {
                    if has_sub == Some(true) {
                        return Err(self.err("Unexpected array element."));
                    }
                    has_sub = Some(false);
                    match self.leaf_depth {
                        Some(d) if d != depth => return Err(self.mismatch()),
                        _ => self.leaf_depth = Some(depth),
                    }
                    let e = self.element()?;
                    self.elements.push(e);
                }
            }
            count += 1;
            self.skip_ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                None => return Err(self.err("Unexpected end of input.")),
                Some(_) => return Err(self.err("Unexpected array element.")),
            }
        }
        if has_sub == Some(true) && self.leaf_depth.is_some_and(|d| d <= depth) {
            return Err(self.mismatch());
        }
        match self.lens[depth - 1] {
            Some(n) if n != count => Err(self.mismatch()),
            _ => {
                self.lens[depth - 1] = Some(count);
                Ok(())
            }
        }
    }

    /// One element: its text, or `None` for an unquoted NULL.
    fn element(&mut self) -> TypeResult<Option<String>> {
        let b = self.b;
        let mut text: Vec<u8> = Vec::new();
        let mut is_null_candidate = true;
        if b.get(self.i) == Some(&b'"') {
            is_null_candidate = false;
            self.i += 1;
            loop {
                match b.get(self.i) {
                    None => return Err(self.err("Unexpected end of input.")),
                    Some(b'"') => {
                        self.i += 1;
                        break;
                    }
                    Some(b'\\') => {
                        let Some(&n) = b.get(self.i + 1) else {
                            return Err(self.err("Unexpected end of input."));
                        };
                        text.push(n);
                        self.i += 2;
                    }
                    Some(&o) => {
                        text.push(o);
                        self.i += 1;
                    }
                }
            }
        } else {
            // Unquoted: up to an unescaped ',' or '}', trailing unescaped spaces dropped.
            let mut keep = 0; // length of text up to the last escaped or non-space byte
            loop {
                match b.get(self.i) {
                    None => return Err(self.err("Unexpected end of input.")),
                    Some(b',' | b'}') => break,
                    Some(b'"') => return Err(self.err("Unexpected array element.")),
                    Some(b'{') => return Err(self.err("Unexpected \"{\" character.")),
                    Some(b'\\') => {
                        let Some(&n) = b.get(self.i + 1) else {
                            return Err(self.err("Unexpected end of input."));
                        };
                        is_null_candidate = false;
                        text.push(n);
                        keep = text.len();
                        self.i += 2;
                    }
                    Some(&o) => {
                        text.push(o);
                        if !is_array_space(o) {
                            keep = text.len();
                        }
                        self.i += 1;
                    }
                }
            }
            text.truncate(keep);
        }
        let s = String::from_utf8(text).map_err(|_| self.err("Unexpected array element."))?;
        Ok(if is_null_candidate && s.eq_ignore_ascii_case("NULL") {
            None
        } else {
            Some(s)
        })
    }
}

/// The `[lb:ub]...=` decoration, if any: (lower bound, length) per dimension; `i` moves past
/// the `=`.
/// Declared dimensions: (lower bound, length) each.
type Declared = Vec<(i32, usize)>;

fn read_decoration(input: &str, i: &mut usize) -> TypeResult<Option<Declared>> {
    let b = input.as_bytes();
    if b.get(*i) != Some(&b'[') {
        return Ok(None);
    }
    let mut dims = Vec::new();
    while b.get(*i) == Some(&b'[') {
        if dims.len() >= MAX_ARRAY_DIMS {
            return Err(too_many_dims(dims.len() + 1));
        }
        let close = input[*i..]
            .find(']')
            .map(|p| p + *i)
            .ok_or_else(|| malformed(input, "Missing \"]\" after array dimensions."))?;
        let spec = &input[*i + 1..close];
        let (lb, ub) = match spec.split_once(':') {
            Some((l, u)) => (l.trim().parse::<i32>(), u.trim().parse::<i32>()),
            None => (Ok(1), spec.trim().parse::<i32>()),
        };
        let (Ok(lb), Ok(ub)) = (lb, ub) else {
            return Err(malformed(
                input,
                "\"[\" must introduce explicitly-specified array dimensions.",
            ));
        };
        if ub < lb {
            return Err(TypeError::new(
                codes::ARRAY_SUBSCRIPT_ERROR,
                "upper bound cannot be less than lower bound",
            ));
        }
        let len = usize::try_from(i64::from(ub) - i64::from(lb) + 1).unwrap_or(usize::MAX);
        dims.push((lb, len));
        *i = close + 1;
    }
    while *i < b.len() && is_array_space(b[*i]) {
        *i += 1;
    }
    if b.get(*i) != Some(&b'=') {
        return Err(malformed(input, "Missing \"=\" after array dimensions."));
    }
    *i += 1;
    while *i < b.len() && is_array_space(b[*i]) {
        *i += 1;
    }
    Ok(Some(dims))
}

fn split_elements(input: &str) -> TypeResult<(Parsed, Option<Declared>)> {
    let b = input.as_bytes();
    let mut i = 0;
    while i < b.len() && is_array_space(b[i]) {
        i += 1;
    }
    let declared = read_decoration(input, &mut i)?;
    if b.get(i) != Some(&b'{') {
        return Err(malformed(
            input,
            "Array value must start with \"{\" or dimension information.",
        ));
    }
    let mut r = Reader {
        input,
        b,
        i,
        lens: Vec::new(),
        leaf_depth: None,
        elements: Vec::new(),
    };
    r.level(1)?;
    r.skip_ws();
    if r.i != b.len() {
        return Err(malformed(input, "Junk after closing right brace."));
    }
    let lens: Vec<usize> = if r.elements.is_empty() {
        Vec::new()
    } else {
        r.lens.iter().map(|l| l.unwrap_or(0)).collect()
    };
    if let Some(d) = &declared
        && (d.len() != lens.len() || d.iter().zip(&lens).any(|((_, n), m)| n != m))
    {
        return Err(malformed(
            input,
            "Specified array dimensions do not match array contents.",
        ));
    }
    Ok((
        Parsed {
            elements: r.elements,
            lens,
        },
        declared,
    ))
}

/// `array_in` for an array of `element`.
pub fn parse_array(input: &str, element: &DataType, ctx: &TypeContext) -> TypeResult<Value> {
    let (parsed, declared) = split_elements(input)?;
    let mut elements = Vec::with_capacity(parsed.elements.len());
    for p in parsed.elements {
        elements.push(match p {
            None => Value::Null,
            Some(s) => parse_text(&s, element, ctx)?,
        });
    }
    let dims = parsed
        .lens
        .iter()
        .enumerate()
        .map(|(k, &len)| ArrayDim {
            lower: declared.as_ref().map_or(1, |d| d[k].0),
            len,
        })
        .collect();
    Value::array_with_dims(element.without_typmod(), elements, dims).ok_or_else(|| {
        malformed(
            input,
            "Specified array dimensions do not match array contents.",
        )
    })
}

fn push_element(out: &mut String, e: &Value, ctx: &TypeContext) {
    match format_text(e, ctx) {
        None => out.push_str("NULL"),
        Some(s) => {
            let needs_quotes = s.is_empty()
                || s.eq_ignore_ascii_case("NULL")
                || s.bytes()
                    .any(|c| matches!(c, b'{' | b'}' | b',' | b'"' | b'\\') || is_array_space(c));
            if needs_quotes {
                out.push('"');
                for c in s.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            } else {
                out.push_str(&s);
            }
        }
    }
}

/// `array_out`.
pub fn format_array(a: &ArrayValue, ctx: &TypeContext) -> String {
    let mut out = String::new();
    // An empty vector made an array keeps its dimension of length 0; it prints as `{}`.
    if a.elements.is_empty() {
        return "{}".into();
    }
    if a.dims.iter().any(|d| d.lower != 1) {
        for d in &a.dims {
            let upper = i64::from(d.lower) + d.len as i64 - 1;
            out.push_str(&format!("[{}:{}]", d.lower, upper));
        }
        out.push('=');
    }
    if a.dims.is_empty() {
        out.push_str("{}");
        return out;
    }
    let lens: Vec<usize> = a.dims.iter().map(|d| d.len).collect();
    // Walk the elements in order, opening and closing braces at level boundaries.
    let n = a.elements.len();
    for _ in 0..lens.len() {
        out.push('{');
    }
    for (k, e) in a.elements.iter().enumerate() {
        push_element(&mut out, e, ctx);
        if k + 1 == n {
            break;
        }
        // How many levels end after element k.
        let mut closing = 0;
        let mut span = 1;
        for len in lens.iter().rev() {
            span *= len;
            if (k + 1) % span == 0 {
                closing += 1;
            } else {
                break;
            }
        }
        for _ in 0..closing {
            out.push('}');
        }
        out.push(',');
        for _ in 0..closing {
            out.push('{');
        }
    }
    for _ in 0..lens.len() {
        out.push('}');
    }
    out
}

fn element_count(dims: &[ArrayDim]) -> usize {
    dims.iter().map(|d| d.len).product()
}

/// `a[i][j]...`: the element at these subscripts, NULL when their number is not the
/// array's number of dimensions or one is out of range (PostgreSQL's `array_get_element`).
pub fn array_element(a: &ArrayValue, subs: &[i32]) -> Value {
    if subs.len() != a.dims.len() || subs.is_empty() {
        return Value::Null;
    }
    let mut offset = 0usize;
    for (d, &s) in a.dims.iter().zip(subs) {
        let k = i64::from(s) - i64::from(d.lower);
        if k < 0 || k >= d.len as i64 {
            return Value::Null;
        }
        offset = offset * d.len + k as usize;
    }
    a.elements.get(offset).cloned().unwrap_or(Value::Null)
}

/// `a[l:u][...]`: the sub-array within these bounds (`None`: the dimension's own bound),
/// clamped to the array, with lower bounds 1; dimensions past the subscripts are taken
/// whole (PostgreSQL's `array_get_slice`).
pub fn array_slice(a: &ArrayValue, subs: &[(Option<i32>, Option<i32>)]) -> Value {
    let empty = || Value::array(a.element_type.clone(), Vec::new());
    if a.dims.is_empty() || subs.len() > a.dims.len() {
        return empty();
    }
    // Zero-based [from, to) per dimension.
    let mut ranges = Vec::with_capacity(a.dims.len());
    for (k, d) in a.dims.iter().enumerate() {
        let lb = i64::from(d.lower);
        let ub = lb + d.len as i64 - 1;
        let (lo, hi) = match subs.get(k) {
            Some((l, u)) => (
                l.map_or(lb, i64::from).max(lb),
                u.map_or(ub, i64::from).min(ub),
            ),
            None => (lb, ub),
        };
        if lo > hi {
            return empty();
        }
        ranges.push(((lo - lb) as usize, (hi - lb + 1) as usize));
    }
    let mut out = Vec::new();
    let mut index = vec![0usize; ranges.len()];
    collect_slice(a, &ranges, 0, 0, &mut index, &mut out);
    let dims = ranges
        .iter()
        .map(|(from, to)| ArrayDim {
            lower: 1,
            len: to - from,
        })
        .collect();
    Value::array_with_dims(a.element_type.clone(), out, dims).unwrap_or_else(empty)
}

fn collect_slice(
    a: &ArrayValue,
    ranges: &[(usize, usize)],
    level: usize,
    base: usize,
    index: &mut Vec<usize>,
    out: &mut Vec<Value>,
) {
    let Some(&(from, to)) = ranges.get(level) else {
        out.push(a.elements.get(base).cloned().unwrap_or(Value::Null));
        return;
    };
    let len = a.dims[level].len;
    for k in from..to {
        index[level] = k;
        collect_slice(a, ranges, level + 1, base * len + k, index, out);
    }
}

fn mismatched_dims() -> TypeError {
    TypeError::new(
        codes::ARRAY_SUBSCRIPT_ERROR,
        "multidimensional arrays must have array expressions with matching dimensions",
    )
}

/// `ARRAY[sub, sub, ...]` of arrays: one more dimension over sub-arrays of one shape (all
/// empty gives the empty array).
pub fn array_of_arrays(element_type: DataType, subs: Vec<Value>) -> TypeResult<Value> {
    let mut shape: Option<Vec<ArrayDim>> = None;
    let mut elements = Vec::new();
    let n = subs.len();
    for v in subs {
        let Value::Array(a) = v else {
            return Err(mismatched_dims());
        };
        let dims: Vec<ArrayDim> = a
            .dims
            .iter()
            .map(|d| ArrayDim {
                lower: d.lower,
                len: d.len,
            })
            .collect();
        match &shape {
            Some(s) if *s != dims => return Err(mismatched_dims()),
            Some(_) => {}
            None => shape = Some(dims),
        }
        elements.extend(a.elements);
    }
    let inner = shape.unwrap_or_default();
    if elements.is_empty() {
        return Ok(Value::array(element_type, Vec::new()));
    }
    if inner.len() + 1 > MAX_ARRAY_DIMS {
        return Err(too_many_dims(inner.len() + 1));
    }
    let mut dims = vec![ArrayDim { lower: 1, len: n }];
    dims.extend(inner);
    Value::array_with_dims(element_type, elements, dims).ok_or_else(mismatched_dims)
}

/// `a[lower:upper] = source` for a one-dimensional (or empty / NULL) array, as PostgreSQL's
/// `array_set_slice`: the slice may extend the array (gaps become NULL); the source's first
/// elements fill it. An omitted bound (`None`) is the array's own.
pub fn array_assign_slice(
    a: Option<&ArrayValue>,
    element_type: &DataType,
    lower: Option<i32>,
    upper: Option<i32>,
    source: Option<&ArrayValue>,
) -> TypeResult<Value> {
    let sub_err = |m: &str| TypeError::new(codes::ARRAY_SUBSCRIPT_ERROR, m);
    let a = a.filter(|a| !a.dims.is_empty());
    if let Some(a) = a
        && a.dims.len() != 1
    {
        return Err(TypeError::new(
            codes::FEATURE_NOT_SUPPORTED,
            "updating slices of multidimensional arrays is not supported",
        ));
    }
    let (lb, ub) = match a.map(|a| &a.dims[0]) {
        Some(d) => {
            let lb = i64::from(d.lower);
            (Some(lb), Some(lb + d.len as i64 - 1))
        }
        None => (None, None),
    };
    let (Some(lo), Some(hi)) = (lower.map(i64::from).or(lb), upper.map(i64::from).or(ub)) else {
        return Err(sub_err("array slice subscript must provide both boundaries")
            .with_detail("When assigning to a slice of an empty array value, slice boundaries must be fully specified."));
    };
    if lo > hi {
        return Err(sub_err("upper bound cannot be less than lower bound"));
    }
    let count = (hi - lo + 1) as usize;
    let src = source.map_or(&[][..], |s| s.elements.as_slice());
    if src.len() < count {
        return Err(sub_err("source array too small"));
    }
    let (new_lo, new_hi) = match (lb, ub) {
        (Some(lb), Some(ub)) => (lb.min(lo), ub.max(hi)),
        _ => (lo, hi),
    };
    let len = (new_hi - new_lo + 1) as usize;
    if len > 134_217_727 {
        return Err(TypeError::new(
            "54000",
            "array size exceeds the maximum allowed (134217727)",
        ));
    }
    let mut elements = vec![Value::Null; len];
    if let (Some(a), Some(lb)) = (a, lb) {
        for (k, v) in a.elements.iter().enumerate() {
            elements[(lb - new_lo) as usize + k] = v.clone();
        }
    }
    for (k, v) in src.iter().take(count).enumerate() {
        elements[(lo - new_lo) as usize + k] = v.clone();
    }
    let lower = i32::try_from(new_lo).map_err(|_| sub_err("array subscript out of range"))?;
    Value::array_with_dims(
        a.map_or_else(|| element_type.clone(), |a| a.element_type.clone()),
        elements,
        vec![ArrayDim { lower, len }],
    )
    .ok_or_else(|| sub_err("array subscript out of range"))
}

/// `a[i][j] = v` (UPDATE's subscripted assignment): a one-dimensional array grows to take
/// a subscript past either end (the gap filled with NULLs); a NULL or empty array becomes
/// one holding `v`; subscripts of a multidimensional array must be in range.
pub fn array_assign(
    a: Option<&ArrayValue>,
    element_type: &DataType,
    subs: &[i32],
    v: Value,
) -> TypeResult<Value> {
    let out_of_range =
        || TypeError::new(codes::ARRAY_SUBSCRIPT_ERROR, "array subscript out of range");
    let a = match a {
        Some(a) if !a.dims.is_empty() => a,
        _ => {
            let dims = subs
                .iter()
                .map(|&s| ArrayDim { lower: s, len: 1 })
                .collect();
            return Value::array_with_dims(element_type.clone(), vec![v], dims)
                .ok_or_else(out_of_range);
        }
    };
    if subs.len() != a.dims.len() {
        return Err(TypeError::new(
            codes::ARRAY_SUBSCRIPT_ERROR,
            "wrong number of array subscripts",
        ));
    }
    if let ([d], [s]) = (a.dims.as_slice(), subs) {
        let lb = i64::from(d.lower);
        let ub = lb + d.len as i64 - 1;
        let s = i64::from(*s);
        let mut elements = a.elements.clone();
        let mut lower = d.lower;
        if s < lb {
            let grow = (lb - s) as usize;
            let mut front = vec![Value::Null; grow];
            front[0] = v;
            front.extend(elements);
            elements = front;
            lower = i32::try_from(s).map_err(|_| out_of_range())?;
        } else if s > ub {
            elements.resize((s - lb) as usize, Value::Null);
            elements.push(v);
        } else {
            elements[(s - lb) as usize] = v;
        }
        let len = elements.len();
        return Value::array_with_dims(
            a.element_type.clone(),
            elements,
            vec![ArrayDim { lower, len }],
        )
        .ok_or_else(out_of_range);
    }
    let mut offset = 0usize;
    for (d, &s) in a.dims.iter().zip(subs) {
        let k = i64::from(s) - i64::from(d.lower);
        if k < 0 || k >= d.len as i64 {
            return Err(out_of_range());
        }
        offset = offset * d.len + k as usize;
    }
    let mut out = a.clone();
    out.elements[offset] = v;
    debug_assert_eq!(element_count(&out.dims), out.elements.len());
    Ok(Value::Array(Box::new(out)))
}
