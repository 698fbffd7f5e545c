//! String, bytea and array functions and operators: `length`, `substr`, `trim`, `lpad`,
//! `split_part`, `concat`, `format`, `quote_*`, `encode`/`decode`, `md5`, the `regexp_*`
//! family, `array_*`, `||`, LIKE/ILIKE (`~~`, `~~*`), POSIX regular expressions (`~`, `~*`)
//! and SIMILAR TO (`similar_to_escape`).
//!
//! # Semantics taken from PostgreSQL 15
//!
//! - Lengths, positions and padding count characters (the database encoding is UTF-8);
//!   `octet_length` counts bytes. `char(n)` arguments keep their padding where PostgreSQL
//!   declares a `bpchar` variant (`length`, `octet_length`, LIKE, regex operators, `concat`,
//!   `format`); everywhere else they are declared `text`, and the caller's cast strips the
//!   trailing spaces.
//! - LIKE follows `like_match.c`'s `MatchText` exactly, including *when* a trailing escape
//!   character raises 22025 (only if matching reaches it). ILIKE lower-cases both sides
//!   first, as PostgreSQL does for multi-byte encodings.
//! - Regular expressions: PostgreSQL's ARE syntax is translated to the `regex` crate's
//!   (`\m`, `\M`, `\y`, `\Y`, `\Z`, literal `[`/`&`/`~` inside brackets); `.` matches newline
//!   and `^`/`$` anchor the whole string unless the `n` flag asks for newline-sensitive
//!   matching. Patterns with back-references (`\1`) or lookaround (`(?=`, `(?!`, `(?<=`,
//!   `(?<!`) run on the backtracking `fancy_regex` engine (flags passed inline), the others
//!   on the `regex` crate's automaton. Both pick the leftmost-first alternative where
//!   PostgreSQL picks the leftmost-longest one, which can give a shorter match for patterns
//!   such as `a|ab`. Compiled patterns are cached per thread.
//! - Upper/lower case maps one character to one character (PostgreSQL's `towupper`/
//!   `towlower`): `upper('ß')` stays `ß`.

use std::cell::RefCell;

use basalt_common::types::error::codes;
use basalt_common::types::{
    ArrayDim, ArrayValue, CastContext, DataType, TypeContext, TypeError, TypeResult, Value, cast,
    format_text,
};

use crate::math::{best_candidate, best_operator, can_coerce, category, is_preferred};
use crate::{EvalContext, Func, Resolved};

const PROGRAM_LIMIT_EXCEEDED: &str = "54000";
const SUBSTRING_ERROR: &str = "22011";
const NULL_VALUE_NOT_ALLOWED: &str = "22004";
const INVALID_ESCAPE_SEQUENCE: &str = "22025";
const INVALID_REGULAR_EXPRESSION: &str = "2201B";
const INVALID_USE_OF_ESCAPE_CHARACTER: &str = "2200C";
/// PostgreSQL's `MaxAllocSize`: no string result may reach 1 GB.
const MAX_ALLOC: i64 = 0x3fff_ffff;

/// A function or operator of this module. Array-building variants carry the OID of the
/// element type of their result, which they need when every input is NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StringFunc {
    /// `length(text)`, `char_length`, `character_length`.
    Length,
    /// `length(bpchar)`: trailing spaces do not count.
    BpcharLength,
    /// `length(bytea)`, `octet_length(text|bpchar|bytea)`.
    OctetLength,
    /// `bit_length(text|bytea)`.
    BitLength,
    /// `lower(text)`.
    Lower,
    /// `upper(text)`.
    Upper,
    /// `initcap(text)`.
    Initcap,
    /// `substr(text, int [, int])`, `substring`.
    Substr,
    /// `substr(bytea, int [, int])`.
    ByteaSubstr,
    /// `substring(text from pattern)`: POSIX regex.
    SubstringRegex,
    /// `substring(text similar pattern escape e)`.
    SubstringSimilar,
    /// `strpos(text, sub)`.
    Strpos,
    /// `position(sub in text)`: arguments in SQL order.
    PositionText,
    /// `position(sub in bytea)`.
    PositionBytea,
    /// `btrim(text [, chars])`, `trim`.
    Btrim,
    /// `ltrim(text [, chars])`.
    Ltrim,
    /// `rtrim(text [, chars])`.
    Rtrim,
    /// `lpad(text, int [, fill])`.
    Lpad,
    /// `rpad(text, int [, fill])`.
    Rpad,
    /// `left(text, int)`.
    Left,
    /// `right(text, int)`.
    Right,
    /// `repeat(text, int)`.
    Repeat,
    /// `replace(text, from, to)`.
    Replace,
    /// `reverse(text)`.
    Reverse,
    /// `split_part(text, delimiter, n)`.
    SplitPart,
    /// `concat(any...)`.
    Concat,
    /// `concat(VARIADIC array)`, `concat_ws(sep, VARIADIC array)`, `format(fmt, VARIADIC
    /// array)`: the array's elements are the arguments (a NULL array: NULL, or no arguments
    /// for `format`).
    Variadic(VariadicFunc),
    /// `concat_ws(sep, any...)`.
    ConcatWs,
    /// `string_to_array(text, delimiter [, null_string])`.
    StringToArray,
    /// `array_to_string(anyarray, delimiter [, null_string])`.
    ArrayToString,
    /// `translate(text, from, to)`.
    Translate,
    /// `ascii(text)`.
    Ascii,
    /// `chr(int)`.
    Chr,
    /// `md5(text|bytea)`.
    Md5,
    /// `sha224`, `sha256`, `sha384`, `sha512` of bytea (the digest size in bits).
    Sha(u16),
    /// `get_byte(bytea, offset)`.
    GetByte,
    /// `set_byte(bytea, offset, value)`.
    SetByte,
    /// `to_hex(int|bigint)`.
    ToHex,
    /// `pg_size_pretty(bigint)`: a byte count in bytes, kB, MB, GB, TB or PB.
    SizePretty,
    /// `starts_with(text, prefix)`.
    StartsWith,
    /// `format(fmt, any...)`.
    Format,
    /// `quote_ident(text)`.
    QuoteIdent,
    /// `parse_ident(text [, strict])`.
    ParseIdent,
    /// `quote_literal(anyelement)`.
    QuoteLiteral,
    /// `quote_nullable(anyelement)`.
    QuoteNullable,
    /// `regexp_replace(source, pattern, replacement [, start [, n]] [, flags])`; the flag
    /// says whether the fourth argument is `start` (an integer) rather than `flags`.
    RegexpReplace {
        /// The call has the integer `start` argument.
        positional: bool,
    },
    /// `regexp_match(text, pattern [, flags])`.
    RegexpMatch,
    /// `regexp_split_to_array(text, pattern [, flags])`.
    RegexpSplitToArray,
    /// `encode(bytea, format)`.
    Encode,
    /// `decode(text, format)`.
    Decode,
    /// `array_length(anyarray, int)`.
    ArrayLength,
    /// `array_upper(anyarray, int)`.
    ArrayUpper,
    /// `array_lower(anyarray, int)`.
    ArrayLower,
    /// `cardinality(anyarray)`.
    Cardinality,
    /// `array_dims(anyarray)`: `[1:2][1:3]`.
    ArrayDims,
    /// UPDATE's `SET a[i][...] = v`, called as (array, v, i, ...) with the element type's
    /// OID: not callable by name.
    ArrayAssign(u32),
    /// UPDATE's `SET a[lo:hi] = source` on a one-dimensional array, called as (array,
    /// source, lo, hi) with NULL for an omitted bound: not callable by name.
    ArraySliceAssign(u32),
    /// `array_ndims(anyarray)`.
    ArrayNdims,
    /// The `text_pattern_ops` comparisons `~<~`, `~<=~`, `~>=~`, `~>~`: byte order.
    PatternCompare {
        /// The accepted orderings of the left operand to the right one (less, equal,
        /// greater), as bits 1, 2, 4.
        accept: u8,
    },
    /// `anyarray @> anyarray` (`contained`: `<@`).
    ArrayContains {
        /// `<@`: the left array is contained in the right one.
        contained: bool,
    },
    /// `anyarray && anyarray`.
    ArrayOverlap,
    /// `array_positions(anyarray, anyelement)`.
    ArrayPositions,
    /// `array_replace(anyarray, anyelement, anyelement)`.
    ArrayReplace,
    /// `array_fill(anyelement, int[] [, int[]])`.
    ArrayFill,
    /// `trim_array(anyarray, int)`.
    TrimArray,
    /// `regexp_like(text, pattern [, flags])`.
    RegexpLike,
    /// `regexp_count(text, pattern [, start [, flags]])`.
    RegexpCount,
    /// `regexp_substr(text, pattern [, start [, n [, flags [, subexpr]]]])`.
    RegexpSubstr,
    /// `regexp_instr(s, re [, start [, n [, endoption [, flags [, subexpr]]]]])`.
    RegexpInstr,
    /// `get_bit(bytea, bigint)`.
    GetBit,
    /// `set_bit(bytea, bigint, int)`.
    SetBit,
    /// `bit_count(bytea)`.
    BitCount,
    /// `overlay(text placing text from int [for int])`.
    Overlay,
    /// `overlay(bytea placing bytea from int [for int])`.
    ByteaOverlay,
    /// `btrim`, `ltrim`, `rtrim` of bytea (`trim(... bytea from bytea)`).
    ByteaTrim {
        /// Trim at the start.
        left: bool,
        /// Trim at the end.
        right: bool,
    },
    /// `like_escape(bytea, bytea)` (`bytea LIKE p ESCAPE e`).
    ByteaLikeEscape,
    /// `unistr(text)`: Unicode escapes decoded.
    Unistr,
    /// `convert_from(bytea, encoding)`.
    ConvertFrom,
    /// `convert_to(text, encoding)`.
    ConvertTo,
    /// `to_ascii(text [, encoding])`: the database encoding (UTF8) has no conversion.
    ToAscii,
    /// `array_append(anyarray, anyelement)` and `array || element`.
    ArrayAppend(u32),
    /// `array_prepend(anyelement, anyarray)` and `element || array`.
    ArrayPrepend(u32),
    /// `array_cat(anyarray, anyarray)` and `array || array`.
    ArrayCat(u32),
    /// `array_position(anyarray, anyelement [, start])`.
    ArrayPosition,
    /// `array_remove(anyarray, anyelement)`.
    ArrayRemove,
    /// `text || text`.
    TextCat,
    /// `text || anynonarray` (the right side is cast to text).
    TextAnyCat,
    /// `anynonarray || text`.
    AnyTextCat,
    /// `bytea || bytea`.
    ByteaCat,
    /// `~~` (LIKE); works on text, bpchar and bytea.
    Like,
    /// `!~~`.
    NotLike,
    /// `~~*` (ILIKE).
    ILike,
    /// `!~~*`.
    NotILike,
    /// `like_escape(pattern, escape)`.
    LikeEscape,
    /// `~`.
    RegexMatch,
    /// `~*`.
    RegexIMatch,
    /// `!~`.
    NotRegexMatch,
    /// `!~*`.
    NotRegexIMatch,
    /// `similar_to_escape(pattern [, escape])`.
    SimilarToEscape,
}

// ---------------------------------------------------------------------------------------
// Resolution.

const TEXT: DataType = DataType::Text;
const BPCHAR: DataType = DataType::Bpchar(None);
const BYTEA: DataType = DataType::Bytea;
const I4: DataType = DataType::Int4;
const I8: DataType = DataType::Int8;
const BOOL: DataType = DataType::Bool;

fn mk(
    f: StringFunc,
    arg_types: Vec<DataType>,
    ret: DataType,
    strict: bool,
    immutable: bool,
) -> Resolved {
    Resolved {
        func: Func::String(f),
        arg_types,
        ret,
        strict,
        immutable,
    }
}

/// Picks among `(function, signature, result)` rows: strict and immutable.
fn pick(table: &[(StringFunc, &[DataType], DataType)], args: &[DataType]) -> Option<Resolved> {
    let sigs: Vec<&[DataType]> = table.iter().map(|(_, s, _)| *s).collect();
    let i = best_candidate(&sigs, args)?;
    let (f, sig, ret) = &table[i];
    Some(mk(*f, sig.to_vec(), ret.clone(), true, true))
}

fn pick_op(table: &[(StringFunc, &[DataType], DataType)], args: &[DataType]) -> Option<Resolved> {
    let sigs: Vec<&[DataType]> = table.iter().map(|(_, s, _)| *s).collect();
    let i = best_operator(&sigs, args)?;
    let (f, sig, ret) = &table[i];
    Some(mk(*f, sig.to_vec(), ret.clone(), true, true))
}

/// The functions taking `VARIADIC "any"` that accept an explicit `VARIADIC array` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VariadicFunc {
    /// `concat`.
    Concat,
    /// `concat_ws`.
    ConcatWs,
    /// `format`.
    Format,
}

/// Resolves `name(args..., VARIADIC array)` for `concat`, `concat_ws` and `format` (the
/// last of `args` is the array's type); `None` for other functions.
pub fn resolve_variadic(name: &str, args: &[DataType]) -> Option<Resolved> {
    let (f, fixed) = match name {
        "concat" => (VariadicFunc::Concat, 0),
        "concat_ws" => (VariadicFunc::ConcatWs, 1),
        "format" => (VariadicFunc::Format, 1),
        _ => return None,
    };
    if args.len() != fixed + 1 || !args[..fixed].iter().all(|t| can_coerce(t, &TEXT)) {
        return None;
    }
    let array = args[fixed].clone();
    if !matches!(array, DataType::Array(_)) {
        return None;
    }
    let mut types = vec![TEXT; fixed];
    types.push(array);
    Some(mk(StringFunc::Variadic(f), types, TEXT, false, false))
}

/// The type a "VARIADIC any" argument is passed as: unknown literals become text.
fn any_arg(t: &DataType) -> DataType {
    if *t == DataType::Unknown {
        TEXT
    } else {
        t.clone()
    }
}

fn text_array() -> DataType {
    DataType::Array(Box::new(TEXT))
}

/// PostgreSQL's `select_common_type` over the element types of an `anycompatible` call.
fn common_type(types: &[DataType]) -> Option<DataType> {
    let mut ptype: Option<DataType> = None;
    for t in types.iter().filter(|t| **t != DataType::Unknown) {
        match &ptype {
            None => ptype = Some(t.clone()),
            Some(p) if p.same_base(t) => {}
            Some(p) => {
                if category(p) != category(t) {
                    return None;
                }
                if !is_preferred(p) && can_coerce(p, t) && !can_coerce(t, p) {
                    ptype = Some(t.clone());
                }
            }
        }
    }
    let common = ptype.unwrap_or(TEXT);
    types
        .iter()
        .all(|t| can_coerce(t, &common))
        .then_some(common)
}

/// The element type of an `anyarray` argument (`unknown` for an untyped NULL).
fn array_elem(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Array(e) => Some((**e).clone()),
        DataType::Unknown => Some(DataType::Unknown),
        _ => None,
    }
}

fn arr(e: &DataType) -> DataType {
    DataType::Array(Box::new(e.clone()))
}

/// `anycompatiblearray` + `anycompatible` resolution: (element type, array type).
fn array_elem_pair(array: &DataType, elem: &DataType) -> Option<(DataType, DataType)> {
    let ae = array_elem(array)?;
    if matches!(elem, DataType::Array(_)) {
        return None;
    }
    let common = common_type(&[ae, elem.clone()])?;
    let a = arr(&common);
    Some((common, a))
}

/// Resolves a function call.
pub fn resolve_function(name: &str, args: &[DataType]) -> Option<Resolved> {
    use StringFunc::*;
    let n = args.len();
    match name {
        "length" => pick(
            &[
                (Length, &[TEXT], I4),
                (BpcharLength, &[BPCHAR], I4),
                (OctetLength, &[BYTEA], I4),
            ],
            args,
        ),
        "char_length" | "character_length" => pick(
            &[(Length, &[TEXT], I4), (BpcharLength, &[BPCHAR], I4)],
            args,
        ),
        "octet_length" => pick(
            &[
                (OctetLength, &[TEXT], I4),
                (OctetLength, &[BPCHAR], I4),
                (OctetLength, &[BYTEA], I4),
            ],
            args,
        ),
        "bit_length" => pick(&[(BitLength, &[TEXT], I4), (BitLength, &[BYTEA], I4)], args),
        "lower" => pick(&[(Lower, &[TEXT], TEXT)], args),
        "upper" => pick(&[(Upper, &[TEXT], TEXT)], args),
        "initcap" => pick(&[(Initcap, &[TEXT], TEXT)], args),
        "substr" | "substring" => {
            let rows: &[(StringFunc, &[DataType], DataType)] = &[
                (Substr, &[TEXT, I4], TEXT),
                (Substr, &[TEXT, I4, I4], TEXT),
                (ByteaSubstr, &[BYTEA, I4], BYTEA),
                (ByteaSubstr, &[BYTEA, I4, I4], BYTEA),
                (SubstringRegex, &[TEXT, TEXT], TEXT),
                (SubstringSimilar, &[TEXT, TEXT, TEXT], TEXT),
            ];
            pick(&rows[..if name == "substr" { 4 } else { 6 }], args)
        }
        "strpos" => pick(&[(Strpos, &[TEXT, TEXT], I4)], args),
        // position(sub IN s) arrives as position(s, sub), PostgreSQL's textpos(haystack, needle).
        "position" => pick(
            &[
                (PositionText, &[TEXT, TEXT], I4),
                (PositionBytea, &[BYTEA, BYTEA], I4),
            ],
            args,
        ),
        "btrim" | "trim" => pick(
            &[
                (Btrim, &[TEXT], TEXT),
                (Btrim, &[TEXT, TEXT], TEXT),
                (
                    ByteaTrim {
                        left: true,
                        right: true,
                    },
                    &[BYTEA, BYTEA],
                    BYTEA,
                ),
            ],
            args,
        ),
        "ltrim" => pick(
            &[
                (Ltrim, &[TEXT], TEXT),
                (Ltrim, &[TEXT, TEXT], TEXT),
                (
                    ByteaTrim {
                        left: true,
                        right: false,
                    },
                    &[BYTEA, BYTEA],
                    BYTEA,
                ),
            ],
            args,
        ),
        "rtrim" => pick(
            &[
                (Rtrim, &[TEXT], TEXT),
                (Rtrim, &[TEXT, TEXT], TEXT),
                (
                    ByteaTrim {
                        left: false,
                        right: true,
                    },
                    &[BYTEA, BYTEA],
                    BYTEA,
                ),
            ],
            args,
        ),
        "lpad" => pick(
            &[(Lpad, &[TEXT, I4], TEXT), (Lpad, &[TEXT, I4, TEXT], TEXT)],
            args,
        ),
        "rpad" => pick(
            &[(Rpad, &[TEXT, I4], TEXT), (Rpad, &[TEXT, I4, TEXT], TEXT)],
            args,
        ),
        "left" => pick(&[(Left, &[TEXT, I4], TEXT)], args),
        "right" => pick(&[(Right, &[TEXT, I4], TEXT)], args),
        "repeat" => pick(&[(Repeat, &[TEXT, I4], TEXT)], args),
        "replace" => pick(&[(Replace, &[TEXT, TEXT, TEXT], TEXT)], args),
        "reverse" => pick(&[(Reverse, &[TEXT], TEXT)], args),
        "split_part" => pick(&[(SplitPart, &[TEXT, TEXT, I4], TEXT)], args),
        "concat" if n >= 1 => Some(mk(
            Concat,
            args.iter().map(any_arg).collect(),
            TEXT,
            false,
            false,
        )),
        "concat_ws" if n >= 2 && can_coerce(&args[0], &TEXT) => {
            let mut types = vec![TEXT];
            types.extend(args[1..].iter().map(any_arg));
            Some(mk(ConcatWs, types, TEXT, false, false))
        }
        "format" if n >= 1 && can_coerce(&args[0], &TEXT) => {
            let mut types = vec![TEXT];
            types.extend(args[1..].iter().map(any_arg));
            Some(mk(Format, types, TEXT, false, false))
        }
        "string_to_array" if (2..=3).contains(&n) => {
            let r = pick(
                &[
                    (StringToArray, &[TEXT, TEXT], text_array()),
                    (StringToArray, &[TEXT, TEXT, TEXT], text_array()),
                ],
                args,
            )?;
            Some(Resolved { strict: false, ..r })
        }
        "array_to_string" if (2..=3).contains(&n) => {
            let elem = array_elem(&args[0])?;
            if elem == DataType::Unknown || !args[1..].iter().all(|t| can_coerce(t, &TEXT)) {
                return None;
            }
            let mut types = vec![args[0].clone()];
            types.extend(std::iter::repeat_n(TEXT, n - 1));
            Some(mk(ArrayToString, types, TEXT, n == 2, false))
        }
        "translate" => pick(&[(Translate, &[TEXT, TEXT, TEXT], TEXT)], args),
        "ascii" => pick(&[(Ascii, &[TEXT], I4)], args),
        "chr" => pick(&[(Chr, &[I4], TEXT)], args),
        "md5" => pick(&[(Md5, &[TEXT], TEXT), (Md5, &[BYTEA], TEXT)], args),
        "sha224" => pick(&[(Sha(224), &[BYTEA], BYTEA)], args),
        "sha256" => pick(&[(Sha(256), &[BYTEA], BYTEA)], args),
        "sha384" => pick(&[(Sha(384), &[BYTEA], BYTEA)], args),
        "sha512" => pick(&[(Sha(512), &[BYTEA], BYTEA)], args),
        "get_byte" => pick(&[(GetByte, &[BYTEA, I4], I4)], args),
        "get_bit" => pick(&[(GetBit, &[BYTEA, I8], I4)], args),
        "set_bit" => pick(&[(SetBit, &[BYTEA, I8, I4], BYTEA)], args),
        "bit_count" => pick(&[(BitCount, &[BYTEA], I8)], args),
        "overlay" => pick(
            &[
                (Overlay, &[TEXT, TEXT, I4], TEXT),
                (Overlay, &[TEXT, TEXT, I4, I4], TEXT),
                (ByteaOverlay, &[BYTEA, BYTEA, I4], BYTEA),
                (ByteaOverlay, &[BYTEA, BYTEA, I4, I4], BYTEA),
            ],
            args,
        ),
        "unistr" => pick(&[(Unistr, &[TEXT], TEXT)], args),
        "convert_from" => pick(&[(ConvertFrom, &[BYTEA, TEXT], TEXT)], args),
        "convert_to" => pick(&[(ConvertTo, &[TEXT, TEXT], BYTEA)], args),
        "to_ascii" => pick(
            &[
                (ToAscii, &[TEXT], TEXT),
                (ToAscii, &[TEXT, TEXT], TEXT),
                (ToAscii, &[TEXT, I4], TEXT),
            ],
            args,
        ),
        "regexp_instr" => pick(
            &[
                (RegexpInstr, &[TEXT, TEXT], I4),
                (RegexpInstr, &[TEXT, TEXT, I4], I4),
                (RegexpInstr, &[TEXT, TEXT, I4, I4], I4),
                (RegexpInstr, &[TEXT, TEXT, I4, I4, I4], I4),
                (RegexpInstr, &[TEXT, TEXT, I4, I4, I4, TEXT], I4),
                (RegexpInstr, &[TEXT, TEXT, I4, I4, I4, TEXT, I4], I4),
            ],
            args,
        ),
        "set_byte" => pick(&[(SetByte, &[BYTEA, I4, I4], BYTEA)], args),
        "to_hex" => pick(&[(ToHex, &[I4], TEXT), (ToHex, &[I8], TEXT)], args),
        "pg_size_pretty" => pick(
            &[
                (SizePretty, &[I8], TEXT),
                (SizePretty, &[DataType::Numeric(None)], TEXT),
            ],
            args,
        ),
        "starts_with" => pick(&[(StartsWith, &[TEXT, TEXT], BOOL)], args),
        "quote_ident" => pick(&[(QuoteIdent, &[TEXT], TEXT)], args),
        // textcat(text, text): the function behind `||` on text
        "textcat" => pick(&[(TextCat, &[TEXT, TEXT], TEXT)], args),
        "parse_ident" => pick(
            &[
                (ParseIdent, &[TEXT], text_array()),
                (ParseIdent, &[TEXT, BOOL], text_array()),
            ],
            args,
        ),
        "quote_literal" | "quote_nullable" if n == 1 => {
            let f = if name == "quote_literal" {
                QuoteLiteral
            } else {
                QuoteNullable
            };
            let strict = f == QuoteLiteral;
            if can_coerce(&args[0], &TEXT) && category(&args[0]) != 'A' {
                Some(mk(f, vec![TEXT], TEXT, strict, true))
            } else {
                Some(mk(f, vec![args[0].clone()], TEXT, strict, false))
            }
        }
        "regexp_replace" => pick(
            &[
                (
                    RegexpReplace { positional: false },
                    &[TEXT, TEXT, TEXT],
                    TEXT,
                ),
                (
                    RegexpReplace { positional: false },
                    &[TEXT, TEXT, TEXT, TEXT],
                    TEXT,
                ),
                (
                    RegexpReplace { positional: true },
                    &[TEXT, TEXT, TEXT, I4],
                    TEXT,
                ),
                (
                    RegexpReplace { positional: true },
                    &[TEXT, TEXT, TEXT, I4, I4],
                    TEXT,
                ),
                (
                    RegexpReplace { positional: true },
                    &[TEXT, TEXT, TEXT, I4, I4, TEXT],
                    TEXT,
                ),
            ],
            args,
        ),
        "regexp_match" => pick(
            &[
                (RegexpMatch, &[TEXT, TEXT], text_array()),
                (RegexpMatch, &[TEXT, TEXT, TEXT], text_array()),
            ],
            args,
        ),
        "regexp_split_to_array" => pick(
            &[
                (RegexpSplitToArray, &[TEXT, TEXT], text_array()),
                (RegexpSplitToArray, &[TEXT, TEXT, TEXT], text_array()),
            ],
            args,
        ),
        "encode" => pick(&[(Encode, &[BYTEA, TEXT], TEXT)], args),
        "decode" => pick(&[(Decode, &[TEXT, TEXT], BYTEA)], args),
        "array_length" | "array_upper" | "array_lower" if n == 2 => {
            let f = match name {
                "array_length" => ArrayLength,
                "array_upper" => ArrayUpper,
                _ => ArrayLower,
            };
            matches!(args[0], DataType::Array(_)).then_some(())?;
            can_coerce(&args[1], &I4).then_some(())?;
            Some(mk(f, vec![args[0].clone(), I4], I4, true, true))
        }
        "cardinality" if n == 1 => {
            matches!(args[0], DataType::Array(_)).then_some(())?;
            Some(mk(Cardinality, vec![args[0].clone()], I4, true, true))
        }
        "array_dims" if n == 1 => {
            matches!(args[0], DataType::Array(_)).then_some(())?;
            Some(mk(ArrayDims, vec![args[0].clone()], TEXT, true, true))
        }
        "array_ndims" if n == 1 => {
            matches!(args[0], DataType::Array(_)).then_some(())?;
            Some(mk(ArrayNdims, vec![args[0].clone()], I4, true, true))
        }
        "array_append" if n == 2 => {
            let (e, a) = array_elem_pair(&args[0], &args[1])?;
            Some(mk(ArrayAppend(e.oid()), vec![a.clone(), e], a, false, true))
        }
        "array_prepend" if n == 2 => {
            let (e, a) = array_elem_pair(&args[1], &args[0])?;
            Some(mk(
                ArrayPrepend(e.oid()),
                vec![e, a.clone()],
                a,
                false,
                true,
            ))
        }
        "array_cat" if n == 2 => {
            let (e1, e2) = (array_elem(&args[0])?, array_elem(&args[1])?);
            let e = common_type(&[e1, e2])?;
            let a = arr(&e);
            Some(mk(
                ArrayCat(e.oid()),
                vec![a.clone(), a.clone()],
                a,
                false,
                true,
            ))
        }
        "array_position" if (2..=3).contains(&n) => {
            let (e, a) = array_elem_pair(&args[0], &args[1])?;
            let mut types = vec![a, e];
            if n == 3 {
                can_coerce(&args[2], &I4).then_some(())?;
                types.push(I4);
            }
            Some(mk(ArrayPosition, types, I4, false, true))
        }
        "array_positions" if n == 2 => {
            let (e, a) = array_elem_pair(&args[0], &args[1])?;
            Some(mk(ArrayPositions, vec![a, e], arr(&I4), false, true))
        }
        "array_replace" if n == 3 => {
            let (e, a) = array_elem_pair(&args[0], &args[1])?;
            let (e, a) = array_elem_pair(&a, &args[2]).or(Some((e, a)))?;
            Some(mk(
                ArrayReplace,
                vec![a.clone(), e.clone(), e],
                a,
                false,
                true,
            ))
        }
        "array_fill" if (2..=3).contains(&n) => {
            let e = match &args[0] {
                DataType::Unknown | DataType::Array(_) => return None,
                t => t.without_typmod(),
            };
            let ints = arr(&I4);
            args[1..]
                .iter()
                .all(|t| can_coerce(t, &ints))
                .then_some(())?;
            let mut types = vec![e.clone(), ints.clone()];
            if n == 3 {
                types.push(ints);
            }
            Some(mk(ArrayFill, types, arr(&e), false, true))
        }
        "trim_array" if n == 2 => {
            matches!(args[0], DataType::Array(_)).then_some(())?;
            can_coerce(&args[1], &I4).then_some(())?;
            Some(mk(
                TrimArray,
                vec![args[0].clone(), I4],
                args[0].clone(),
                true,
                true,
            ))
        }
        "regexp_like" => pick(
            &[
                (RegexpLike, &[TEXT, TEXT], BOOL),
                (RegexpLike, &[TEXT, TEXT, TEXT], BOOL),
            ],
            args,
        ),
        "regexp_count" => pick(
            &[
                (RegexpCount, &[TEXT, TEXT], I4),
                (RegexpCount, &[TEXT, TEXT, I4], I4),
                (RegexpCount, &[TEXT, TEXT, I4, TEXT], I4),
            ],
            args,
        ),
        "regexp_substr" => pick(
            &[
                (RegexpSubstr, &[TEXT, TEXT], TEXT),
                (RegexpSubstr, &[TEXT, TEXT, I4], TEXT),
                (RegexpSubstr, &[TEXT, TEXT, I4, I4], TEXT),
                (RegexpSubstr, &[TEXT, TEXT, I4, I4, TEXT], TEXT),
                (RegexpSubstr, &[TEXT, TEXT, I4, I4, TEXT, I4], TEXT),
            ],
            args,
        ),
        "array_remove" if n == 2 => {
            let (e, a) = array_elem_pair(&args[0], &args[1])?;
            Some(mk(ArrayRemove, vec![a.clone(), e], a, false, true))
        }
        "like_escape" => pick(
            &[
                (LikeEscape, &[TEXT, TEXT], TEXT),
                (ByteaLikeEscape, &[BYTEA, BYTEA], BYTEA),
            ],
            args,
        ),
        "similar_to_escape" => pick(
            &[
                (SimilarToEscape, &[TEXT], TEXT),
                (SimilarToEscape, &[TEXT, TEXT], TEXT),
            ],
            args,
        ),
        _ => None,
    }
}

/// The infix operator a function is called by, for showing it as written (EXPLAIN).
pub fn operator_symbol(f: StringFunc) -> Option<&'static str> {
    use StringFunc::*;
    Some(match f {
        TextCat | TextAnyCat | AnyTextCat | ByteaCat | ArrayCat(_) | ArrayAppend(_)
        | ArrayPrepend(_) => "||",
        ArrayContains { contained: false } => "@>",
        ArrayContains { contained: true } => "<@",
        ArrayOverlap => "&&",
        StartsWith => "^@",
        Like => "~~",
        NotLike => "!~~",
        ILike => "~~*",
        NotILike => "!~~*",
        RegexMatch => "~",
        RegexIMatch => "~*",
        NotRegexMatch => "!~",
        NotRegexIMatch => "!~*",
        _ => return None,
    })
}

/// Resolves an operator.
pub fn resolve_operator(op: &str, left: Option<&DataType>, right: &DataType) -> Option<Resolved> {
    use StringFunc::*;
    let left = left?;
    let args = [left.clone(), right.clone()];
    match op {
        "||" => resolve_concat_operator(left, right),
        "@>" | "<@" | "&&"
            if matches!(left, DataType::Array(_)) || matches!(right, DataType::Array(_)) =>
        {
            let e = common_type(&[array_elem(left)?, array_elem(right)?])?;
            let a = arr(&e);
            let f = match op {
                "@>" => ArrayContains { contained: false },
                "<@" => ArrayContains { contained: true },
                _ => ArrayOverlap,
            };
            Some(mk(f, vec![a.clone(), a], BOOL, true, true))
        }
        "^@" => pick_op(&[(StartsWith, &[TEXT, TEXT], BOOL)], &args),
        "~<~" | "~<=~" | "~>=~" | "~>~" => {
            let accept = match op {
                "~<~" => 1,
                "~<=~" => 3,
                "~>=~" => 6,
                _ => 4,
            };
            pick_op(&[(PatternCompare { accept }, &[TEXT, TEXT], BOOL)], &args)
        }
        "~~" | "!~~" | "~~*" | "!~~*" => {
            let f = match op {
                "~~" => Like,
                "!~~" => NotLike,
                "~~*" => ILike,
                _ => NotILike,
            };
            let mut table: Vec<(StringFunc, &[DataType], DataType)> =
                vec![(f, &[TEXT, TEXT], BOOL), (f, &[BPCHAR, TEXT], BOOL)];
            if matches!(f, Like | NotLike) {
                table.push((f, &[BYTEA, BYTEA], BOOL));
            }
            pick_op(&table, &args)
        }
        "~" | "~*" | "!~" | "!~*" => {
            let f = match op {
                "~" => RegexMatch,
                "~*" => RegexIMatch,
                "!~" => NotRegexMatch,
                _ => NotRegexIMatch,
            };
            pick_op(
                &[(f, &[TEXT, TEXT], BOOL), (f, &[BPCHAR, TEXT], BOOL)],
                &args,
            )
        }
        _ => None,
    }
}

fn resolve_concat_operator(left: &DataType, right: &DataType) -> Option<Resolved> {
    use DataType as T;
    use StringFunc::*;
    if matches!(left, T::Jsonb) || matches!(right, T::Jsonb) {
        return None;
    }
    let is_text_like = |t: &DataType| t.is_string() || matches!(t, T::Unknown | T::Name);
    match (left, right) {
        (T::Array(_), _) | (_, T::Array(_)) => {
            let (lu, ru) = (*left == T::Unknown, *right == T::Unknown);
            match (left, right) {
                (T::Array(_), T::Array(_)) => {}
                (T::Array(_), _) if ru => {}
                (_, T::Array(_)) if lu => {}
                (T::Array(_), e) => {
                    let (e, a) = array_elem_pair(left, e)?;
                    return Some(mk(ArrayAppend(e.oid()), vec![a.clone(), e], a, false, true));
                }
                (e, _) => {
                    let (e, a) = array_elem_pair(right, e)?;
                    return Some(mk(
                        ArrayPrepend(e.oid()),
                        vec![e, a.clone()],
                        a,
                        false,
                        true,
                    ));
                }
            }
            let e = common_type(&[array_elem(left)?, array_elem(right)?])?;
            let a = arr(&e);
            Some(mk(
                ArrayCat(e.oid()),
                vec![a.clone(), a.clone()],
                a,
                false,
                true,
            ))
        }
        (T::Bytea, T::Bytea | T::Unknown) | (T::Unknown, T::Bytea) => {
            Some(mk(ByteaCat, vec![BYTEA, BYTEA], BYTEA, true, true))
        }
        (l, r) if is_text_like(l) && is_text_like(r) => {
            Some(mk(TextCat, vec![TEXT, TEXT], TEXT, true, true))
        }
        (l, r) if is_text_like(l) => Some(mk(TextAnyCat, vec![TEXT, r.clone()], TEXT, true, false)),
        (l, r) if is_text_like(r) => Some(mk(AnyTextCat, vec![l.clone(), TEXT], TEXT, true, false)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation helpers.

fn wrong_args(f: StringFunc) -> TypeError {
    TypeError::new(
        codes::UNDEFINED_FUNCTION,
        format!("string function {f:?} called with unexpected argument types"),
    )
}

fn text(v: Option<&Value>) -> Option<&str> {
    match v {
        Some(Value::Text(s) | Value::Bpchar(s)) => Some(s),
        _ => None,
    }
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v {
        Some(Value::Int2(x)) => Some(i64::from(*x)),
        Some(Value::Int4(x)) => Some(i64::from(*x)),
        Some(Value::Int8(x)) => Some(*x),
        _ => None,
    }
}

fn too_long() -> TypeError {
    TypeError::new(PROGRAM_LIMIT_EXCEEDED, "requested length too large")
}

fn i4(v: usize) -> Value {
    Value::Int4(i32::try_from(v).unwrap_or(i32::MAX))
}

/// A value as its type's output function prints it.
fn output(v: &Value, ctx: &TypeContext) -> Option<String> {
    format_text(v, ctx)
}

/// A value cast to text (`$1::text`: booleans become `true`/`false`).
fn as_text(v: &Value, ctx: &TypeContext) -> TypeResult<Option<String>> {
    match cast(v, &TEXT, CastContext::Explicit, ctx)? {
        Value::Text(s) => Ok(Some(s)),
        _ => Ok(None),
    }
}

/// One character to one character, as `towupper`/`towlower` do.
fn map_case(s: &str, upper: bool) -> String {
    s.chars().map(|c| case_char(c, upper)).collect()
}

fn case_char(c: char, upper: bool) -> char {
    if upper {
        let mut it = c.to_uppercase();
        match (it.next(), it.next()) {
            (Some(u), None) => u,
            _ => c,
        }
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_alnum = false;
    for c in s.chars() {
        out.push(case_char(c, !prev_alnum));
        prev_alnum = c.is_alphanumeric();
    }
    out
}

/// PostgreSQL's `text_substring` on a sequence: 1-based `start`, optional length.
fn substring_range(len: usize, start: i64, count: Option<i64>) -> TypeResult<(usize, usize)> {
    let len = len as i64;
    let end = match count {
        Some(c) if c < 0 => {
            return Err(TypeError::new(
                SUBSTRING_ERROR,
                "negative substring length not allowed",
            ));
        }
        Some(c) => start.saturating_add(c),
        None => i64::MAX,
    };
    let s = start.max(1);
    let e = end.min(len + 1);
    if s > len || e <= s {
        return Ok((0, 0));
    }
    Ok(((s - 1) as usize, (e - 1) as usize))
}

fn trim_set(s: &str, chars: &str, left: bool, right: bool) -> String {
    let set: Vec<char> = chars.chars().collect();
    let mut t = s;
    if left {
        t = t.trim_start_matches(|c| set.contains(&c));
    }
    if right {
        t = t.trim_end_matches(|c| set.contains(&c));
    }
    t.to_owned()
}

fn pad(s: &str, len: i64, fill: &str, left: bool) -> TypeResult<String> {
    if len <= 0 {
        return Ok(String::new());
    }
    if len.saturating_mul(4) >= MAX_ALLOC {
        return Err(too_long());
    }
    let chars: Vec<char> = s.chars().collect();
    let len = len as usize;
    if chars.len() >= len {
        return Ok(chars[..len].iter().collect());
    }
    let fill: Vec<char> = fill.chars().collect();
    if fill.is_empty() {
        return Ok(s.to_owned());
    }
    let padding: String = fill.iter().cycle().take(len - chars.len()).collect();
    Ok(if left {
        padding + s
    } else {
        s.to_owned() + &padding
    })
}

fn split_part(s: &str, delim: &str, n: i64) -> TypeResult<String> {
    if n == 0 {
        return Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            "field position must not be zero",
        ));
    }
    if s.is_empty() {
        return Ok(String::new());
    }
    if delim.is_empty() {
        return Ok(if n == 1 || n == -1 {
            s.to_owned()
        } else {
            String::new()
        });
    }
    let parts: Vec<&str> = s.split(delim).collect();
    let idx = if n > 0 {
        usize::try_from(n - 1).ok()
    } else {
        usize::try_from(-n)
            .ok()
            .and_then(|k| parts.len().checked_sub(k))
    };
    Ok(idx
        .and_then(|i| parts.get(i))
        .map(|p| (*p).to_owned())
        .unwrap_or_default())
}

fn translate(s: &str, from: &str, to: &str) -> String {
    let from: Vec<char> = from.chars().collect();
    let to: Vec<char> = to.chars().collect();
    s.chars()
        .filter_map(|c| match from.iter().position(|&f| f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect()
}

fn chr(code: i64) -> TypeResult<String> {
    if code < 0 {
        return Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            "character number must be positive",
        ));
    }
    if code == 0 {
        return Err(TypeError::new(
            PROGRAM_LIMIT_EXCEEDED,
            "null character not permitted",
        ));
    }
    if code > 0x10FFFF {
        return Err(TypeError::new(
            PROGRAM_LIMIT_EXCEEDED,
            format!("requested character too large for encoding: {code}"),
        ));
    }
    char::from_u32(code as u32)
        .map(String::from)
        .ok_or_else(|| {
            TypeError::new(
                PROGRAM_LIMIT_EXCEEDED,
                format!("requested character not valid for encoding: {code}"),
            )
        })
}

/// Keywords that `quote_ident` must quote (every category but unreserved).
const QUOTED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// PostgreSQL's `quote_identifier`.
pub fn quote_ident(s: &str) -> String {
    let safe = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !QUOTED_KEYWORDS.contains(&s);
    if safe {
        return s.to_owned();
    }
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// PostgreSQL's `quote_literal`: doubled quotes, and `E'...'` with doubled backslashes when
/// the text contains a backslash.
pub fn quote_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 3);
    if s.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

// ---------------------------------------------------------------------------------------
// format().

fn format_error(msg: impl Into<String>) -> TypeError {
    TypeError::new(codes::INVALID_PARAMETER_VALUE, msg)
}

fn format_hint(msg: impl Into<String>) -> TypeError {
    format_error(msg).with_detail("For a single \"%\" use \"%%\".")
}

/// `format(fmt, args...)` with `%s`, `%I`, `%L`, `%%`, argument positions `n$`, the `-`
/// flag and widths (`5`, `*`, `*n$`).
fn format_fn(fmt: &str, args: &[Value], ctx: &TypeContext) -> TypeResult<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut next_arg = 0usize;
    let mut i = 0usize;
    let too_few = || format_error("too few arguments for format()");
    let read_num = |i: &mut usize| -> Option<i64> {
        let start = *i;
        let mut v: i64 = 0;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            v = v
                .saturating_mul(10)
                .saturating_add(i64::from(chars[*i] as u8 - b'0'));
            *i += 1;
        }
        (*i > start).then_some(v)
    };
    let arg_index = |n: i64| -> TypeResult<usize> {
        if n == 0 {
            return Err(format_error(
                "format specifies argument 0, but arguments are numbered from 1",
            ));
        }
        Ok((n - 1) as usize)
    };
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let unterminated = || format_hint("unterminated format() type specifier");
        if i >= chars.len() {
            return Err(unterminated());
        }
        if chars[i] == '%' {
            out.push('%');
            i += 1;
            continue;
        }
        let mut argpos: Option<usize> = None;
        let mut left = false;
        let mut width: Option<i64> = None;
        let mut width_arg: Option<Option<usize>> = None;
        let save = i;
        if let Some(v) = read_num(&mut i) {
            if i < chars.len() && chars[i] == '$' {
                argpos = Some(arg_index(v)?);
                i += 1;
            } else {
                // Digits without `$` are a width; no flags may follow.
                width = Some(v);
            }
        } else {
            i = save;
        }
        if width.is_none() {
            while i < chars.len() && chars[i] == '-' {
                left = true;
                i += 1;
            }
            if i < chars.len() && chars[i] == '*' {
                i += 1;
                let save = i;
                match read_num(&mut i) {
                    Some(v) if i < chars.len() && chars[i] == '$' => {
                        width_arg = Some(Some(arg_index(v)?));
                        i += 1;
                    }
                    _ => {
                        i = save;
                        width_arg = Some(None);
                    }
                }
            } else {
                width = read_num(&mut i);
            }
        }
        if i >= chars.len() {
            return Err(unterminated());
        }
        let kind = chars[i];
        i += 1;
        if let Some(w) = width_arg {
            let idx = match w {
                // The value then comes from the argument after the width's (PostgreSQL).
                Some(idx) => {
                    next_arg = idx + 1;
                    idx
                }
                None => {
                    let idx = next_arg;
                    next_arg += 1;
                    idx
                }
            };
            let v = args.get(idx).ok_or_else(too_few)?;
            let w = match v {
                Value::Null => 0,
                other => match as_text(other, ctx)? {
                    Some(t) => t
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| TypeError::invalid_syntax("integer", &t))?,
                    None => 0,
                },
            };
            if w < 0 {
                left = true;
            }
            width = Some(w.abs());
        }
        let idx = match argpos {
            Some(p) => p,
            None => next_arg,
        };
        next_arg = idx + 1;
        if !matches!(kind, 's' | 'I' | 'L') {
            return Err(format_hint(format!(
                "unrecognized format() type specifier \"{kind}\""
            )));
        }
        let v = args.get(idx).ok_or_else(too_few)?;
        let piece = match (kind, v) {
            ('s', Value::Null) => String::new(),
            ('s', v) => output(v, ctx).unwrap_or_default(),
            ('I', Value::Null) => {
                return Err(TypeError::new(
                    NULL_VALUE_NOT_ALLOWED,
                    "null values cannot be formatted as an SQL identifier",
                ));
            }
            ('I', v) => quote_ident(&output(v, ctx).unwrap_or_default()),
            (_, Value::Null) => "NULL".to_owned(),
            (_, v) => quote_literal(&output(v, ctx).unwrap_or_default()),
        };
        let w = width.unwrap_or(0).min(MAX_ALLOC) as usize;
        let n = piece.chars().count();
        if n < w {
            let spaces = " ".repeat(w - n);
            if left {
                out.push_str(&piece);
                out.push_str(&spaces);
            } else {
                out.push_str(&spaces);
                out.push_str(&piece);
            }
        } else {
            out.push_str(&piece);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// encode / decode.

fn unrecognized_encoding(name: &str) -> TypeError {
    TypeError::new(
        codes::INVALID_PARAMETER_VALUE,
        format!("unrecognized encoding: \"{name}\""),
    )
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 57 + 4);
    let mut line = 0usize;
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[((v >> (18 - 6 * k)) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
        line += 4;
        // PostgreSQL breaks lines after every 76 output characters, even at the very end.
        if line >= 76 && chunk.len() == 3 {
            out.push('\n');
            line = 0;
        }
    }
    out
}

fn base64_decode(s: &str) -> TypeResult<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut buf, mut pos, mut end) = (0u32, 0u32, 0u32);
    for (i, c) in s.char_indices() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        let b = if c == '=' {
            if end == 0 {
                end = match pos {
                    2 => 1,
                    3 => 2,
                    _ => {
                        return Err(TypeError::new(
                            codes::INVALID_PARAMETER_VALUE,
                            "unexpected \"=\" while decoding base64 sequence",
                        ));
                    }
                };
            }
            0
        } else {
            match B64.iter().position(|&x| x as char == c) {
                Some(v) => v as u32,
                None => {
                    return Err(TypeError::new(
                        codes::INVALID_PARAMETER_VALUE,
                        format!(
                            "invalid symbol \"{}\" found while decoding base64 sequence",
                            &s[i..i + c.len_utf8()]
                        ),
                    ));
                }
            }
        };
        buf = (buf << 6) | b;
        pos += 1;
        if pos == 4 {
            out.push((buf >> 16) as u8);
            if end == 0 || end > 1 {
                out.push((buf >> 8) as u8);
            }
            if end == 0 || end > 2 {
                out.push(buf as u8);
            }
            buf = 0;
            pos = 0;
        }
    }
    if pos != 0 {
        return Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            "invalid base64 end sequence",
        )
        .with_detail("Input data is missing padding, is truncated, or is otherwise corrupted."));
    }
    Ok(out)
}

fn hex_decode(s: &str) -> TypeResult<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut it = s.chars().peekable();
    let digit = |c: char| -> TypeResult<u8> {
        c.to_digit(16).map(|d| d as u8).ok_or_else(|| {
            TypeError::new(
                codes::INVALID_PARAMETER_VALUE,
                format!("invalid hexadecimal digit: \"{c}\""),
            )
        })
    };
    while let Some(c) = it.next() {
        if matches!(c, ' ' | '\n' | '\t' | '\r') {
            continue;
        }
        let hi = digit(c)?;
        let Some(c2) = it.next() else {
            return Err(TypeError::new(
                codes::INVALID_PARAMETER_VALUE,
                "invalid hexadecimal data: odd number of digits",
            ));
        };
        out.push((hi << 4) | digit(c2)?);
    }
    Ok(out)
}

fn escape_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len());
    for &b in data {
        if b == b'\\' {
            out.push_str("\\\\");
        } else if b == 0 || b >= 0x80 {
            out.push_str(&format!("\\{b:03o}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

fn escape_decode(s: &str) -> TypeResult<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
        } else if b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if i + 3 < b.len()
            && (b'0'..=b'3').contains(&b[i + 1])
            && (b'0'..=b'7').contains(&b[i + 2])
            && (b'0'..=b'7').contains(&b[i + 3])
        {
            out.push(((b[i + 1] - b'0') << 6) | ((b[i + 2] - b'0') << 3) | (b[i + 3] - b'0'));
            i += 4;
        } else {
            return Err(TypeError::new(
                codes::INVALID_TEXT_REPRESENTATION,
                "invalid input syntax for type bytea",
            ));
        }
    }
    Ok(out)
}

fn hex_encode(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// MD5 (RFC 1321).

fn md5_hex(data: &[u8]) -> String {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    // K[i] = floor(|sin(i + 1)| * 2^32).
    let k: Vec<u32> = (0..64)
        .map(|i| ((f64::from(i + 1)).sin().abs() * 4_294_967_296.0) as u32)
        .collect();
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());
    let mut h: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    for block in msg.chunks(64) {
        let m: Vec<u32> = block
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let [mut a, mut b, mut c, mut d] = h;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        h[0] = h[0].wrapping_add(a);
        h[1] = h[1].wrapping_add(b);
        h[2] = h[2].wrapping_add(c);
        h[3] = h[3].wrapping_add(d);
    }
    h.iter()
        .flat_map(|w| w.to_le_bytes())
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// LIKE.

#[derive(PartialEq, Eq)]
enum LikeResult {
    True,
    False,
    Abort,
}

fn like_end_escape() -> TypeError {
    TypeError::new(
        INVALID_ESCAPE_SEQUENCE,
        "LIKE pattern must not end with escape character",
    )
}

/// PostgreSQL's `MatchText` over characters, with `\` as the escape.
fn match_text(t: &[char], p: &[char]) -> TypeResult<LikeResult> {
    if p.len() == 1 && p[0] == '%' {
        return Ok(LikeResult::True);
    }
    let (mut t, mut p) = (t, p);
    while !t.is_empty() && !p.is_empty() {
        match p[0] {
            '\\' => {
                p = &p[1..];
                if p.is_empty() {
                    return Err(like_end_escape());
                }
                if p[0] != t[0] {
                    return Ok(LikeResult::False);
                }
            }
            '%' => {
                p = &p[1..];
                while let Some(&c) = p.first() {
                    if c == '%' {
                        p = &p[1..];
                    } else if c == '_' {
                        if t.is_empty() {
                            return Ok(LikeResult::Abort);
                        }
                        t = &t[1..];
                        p = &p[1..];
                    } else {
                        break;
                    }
                }
                if p.is_empty() {
                    return Ok(LikeResult::True);
                }
                let first = if p[0] == '\\' {
                    if p.len() < 2 {
                        return Err(like_end_escape());
                    }
                    p[1]
                } else {
                    p[0]
                };
                while !t.is_empty() {
                    if t[0] == first {
                        let r = match_text(t, p)?;
                        if r != LikeResult::False {
                            return Ok(r);
                        }
                    }
                    t = &t[1..];
                }
                return Ok(LikeResult::Abort);
            }
            '_' => {
                t = &t[1..];
                p = &p[1..];
                continue;
            }
            c if c != t[0] => return Ok(LikeResult::False),
            _ => {}
        }
        t = &t[1..];
        p = &p[1..];
    }
    if !t.is_empty() {
        return Ok(LikeResult::False);
    }
    while p.first() == Some(&'%') {
        p = &p[1..];
    }
    Ok(if p.is_empty() {
        LikeResult::True
    } else {
        LikeResult::Abort
    })
}

/// `text LIKE pattern` with PostgreSQL's rules (backslash escapes; 22025 for a trailing
/// escape reached during matching).
pub fn like(text: &str, pattern: &str) -> TypeResult<bool> {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    Ok(match_text(&t, &p)? == LikeResult::True)
}

/// `text ILIKE pattern`: both sides lower-cased first.
pub fn ilike(text: &str, pattern: &str) -> TypeResult<bool> {
    like(&map_case(text, false), &map_case(pattern, false))
}

fn bytea_like(text: &[u8], pattern: &[u8]) -> TypeResult<bool> {
    let t: Vec<char> = text.iter().map(|&b| char::from(b)).collect();
    let p: Vec<char> = pattern.iter().map(|&b| char::from(b)).collect();
    Ok(match_text(&t, &p)? == LikeResult::True)
}

fn invalid_escape_string() -> TypeError {
    TypeError::new(INVALID_ESCAPE_SEQUENCE, "invalid escape string")
        .with_detail("Escape string must be empty or one character.")
}

/// `unistr(text)`: `\XXXX`, `\+XXXXXX`, `\uXXXX`, `\UXXXXXXXX` escapes (surrogate pairs
/// combined) and `\\` for a backslash.
fn unistr(s: &str) -> TypeResult<String> {
    let invalid = || {
        TypeError::new(codes::SYNTAX_ERROR, "invalid Unicode escape")
            .with_hint("Unicode escapes must be \\XXXX, \\+XXXXXX, \\uXXXX, or \\UXXXXXXXX.")
    };
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut pending_high: Option<u32> = None;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\\' {
            if pending_high.is_some() {
                return Err(TypeError::new(
                    codes::SYNTAX_ERROR,
                    "invalid Unicode surrogate pair",
                ));
            }
            out.push(chars[i]);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'\\') {
            if pending_high.is_some() {
                return Err(TypeError::new(
                    codes::SYNTAX_ERROR,
                    "invalid Unicode surrogate pair",
                ));
            }
            out.push('\\');
            i += 2;
            continue;
        }
        let (skip, digits) = match chars.get(i + 1) {
            Some('+') => (2, 6),
            Some('u') => (2, 4),
            Some('U') => (2, 8),
            _ => (1, 4),
        };
        let hex: String = chars.iter().skip(i + skip).take(digits).collect();
        if hex.chars().count() != digits || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let cp = u32::from_str_radix(&hex, 16).map_err(|_| invalid())?;
        i += skip + digits;
        if let Some(hi) = pending_high.take() {
            if !(0xDC00..=0xDFFF).contains(&cp) {
                return Err(TypeError::new(
                    codes::SYNTAX_ERROR,
                    "invalid Unicode surrogate pair",
                ));
            }
            let c = 0x10000 + ((hi - 0xD800) << 10) + (cp - 0xDC00);
            out.push(char::from_u32(c).ok_or_else(invalid)?);
        } else if (0xD800..=0xDBFF).contains(&cp) {
            pending_high = Some(cp);
        } else if (0xDC00..=0xDFFF).contains(&cp) {
            return Err(TypeError::new(
                codes::SYNTAX_ERROR,
                "invalid Unicode surrogate pair",
            ));
        } else if cp > 0x10FFFF {
            return Err(TypeError::new(
                codes::INVALID_PARAMETER_VALUE,
                format!("invalid Unicode code point: {hex}"),
            ));
        } else if cp == 0 {
            return Err(TypeError::new(
                codes::UNTRANSLATABLE_CHARACTER,
                "invalid Unicode code point: 0",
            ));
        } else {
            out.push(char::from_u32(cp).ok_or_else(invalid)?);
        }
    }
    if pending_high.is_some() {
        return Err(TypeError::new(
            codes::SYNTAX_ERROR,
            "invalid Unicode surrogate pair",
        ));
    }
    Ok(out)
}

/// `like_escape(pattern, escape)`: rewrites a pattern with a custom escape character into
/// one with backslash escapes (an empty escape disables escaping).
fn like_escape(pattern: &str, escape: &str) -> TypeResult<String> {
    let mut esc = escape.chars();
    let e = match (esc.next(), esc.next()) {
        (None, _) => None,
        (Some(c), None) => Some(c),
        _ => return Err(invalid_escape_string()),
    };
    let mut out = String::with_capacity(pattern.len());
    match e {
        None => {
            for c in pattern.chars() {
                if c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        Some('\\') => out.push_str(pattern),
        Some(e) => {
            // PostgreSQL's do_like_escape: the escape becomes `\` and the next character is
            // kept as written (so an escaped `_` or `%` stays literal even when it is the
            // escape character itself); other backslashes are doubled.
            let mut after = false;
            for c in pattern.chars() {
                if c == e && !after {
                    out.push('\\');
                    after = true;
                } else if c == '\\' {
                    out.push('\\');
                    if !after {
                        out.push('\\');
                    }
                    after = false;
                } else {
                    out.push(c);
                    after = false;
                }
            }
        }
    }
    Ok(out)
}

/// PostgreSQL's `similar_escape`: the anchored POSIX regex equivalent of a SIMILAR TO
/// pattern. `escape` is `None` for the default backslash and `Some("")` for none.
pub fn similar_to_regex(pattern: &str, escape: Option<&str>) -> TypeResult<String> {
    let e = match escape {
        None => Some('\\'),
        Some(s) => {
            let mut it = s.chars();
            match (it.next(), it.next()) {
                (None, _) => None,
                (Some(c), None) => Some(c),
                _ => return Err(invalid_escape_string()),
            }
        }
    };
    let mut out = String::from("^(?:");
    let mut after_escape = false;
    let mut in_class = false;
    let mut quotes = 0;
    // With a separator, the part before it matches as little as it can (PostgreSQL makes
    // it non-greedy as a whole; here each of its quantifiers is lazy).
    let has_separator = e.is_some_and(|e| pattern.contains(&format!("{e}\"")));
    let lazy = |quotes: i32| has_separator && quotes == 0;
    for c in pattern.chars() {
        if after_escape {
            if c == '"' && !in_class {
                match quotes {
                    0 => out.push_str("){1,1}?("),
                    1 => out.push_str("){1,1}(?:"),
                    _ => {
                        return Err(TypeError::new(
                            INVALID_USE_OF_ESCAPE_CHARACTER,
                            "SQL regular expression may not contain more than two escape-double-quote separators",
                        ));
                    }
                }
                quotes += 1;
            } else {
                out.push('\\');
                out.push(c);
            }
            after_escape = false;
        } else if Some(c) == e {
            after_escape = true;
        } else if in_class {
            if c == '\\' {
                out.push('\\');
            }
            out.push(c);
            if c == ']' {
                in_class = false;
            }
        } else {
            match c {
                '[' => {
                    out.push('[');
                    in_class = true;
                }
                '%' => out.push_str(if lazy(quotes) { ".*?" } else { ".*" }),
                '*' | '+' | '?' | '}' if lazy(quotes) => {
                    out.push(c);
                    out.push('?');
                }
                '_' => out.push('.'),
                '(' => out.push_str("(?:"),
                '\\' | '.' | '^' | '$' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
    out.push_str(")$");
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Regular expressions.

/// Options from a PostgreSQL flags string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
struct RegexFlags {
    global: bool,
    icase: bool,
    /// `.` and bracket negations do not match newline.
    newline_dot: bool,
    /// `^` and `$` match at line boundaries.
    newline_anchor: bool,
    expanded: bool,
    literal: bool,
}

fn parse_flags(flags: &str, icase: bool) -> TypeResult<RegexFlags> {
    let mut f = RegexFlags {
        icase,
        ..RegexFlags::default()
    };
    for c in flags.chars() {
        match c {
            'g' => f.global = true,
            'i' => f.icase = true,
            'c' => f.icase = false,
            'n' | 'm' => {
                f.newline_dot = true;
                f.newline_anchor = true;
            }
            'p' => {
                f.newline_dot = true;
                f.newline_anchor = false;
            }
            'w' => {
                f.newline_dot = false;
                f.newline_anchor = true;
            }
            's' => {
                f.newline_dot = false;
                f.newline_anchor = false;
            }
            'x' => f.expanded = true,
            't' => f.expanded = false,
            'q' => f.literal = true,
            'b' | 'e' => {}
            _ => {
                return Err(TypeError::new(
                    codes::INVALID_PARAMETER_VALUE,
                    format!("invalid regular expression option: \"{c}\""),
                ));
            }
        }
    }
    Ok(f)
}

fn regex_error(msg: &str) -> TypeError {
    TypeError::new(
        INVALID_REGULAR_EXPRESSION,
        format!("invalid regular expression: {msg}"),
    )
}

/// Rewrites PostgreSQL ARE syntax that the `regex` crate spells differently.
/// Translates a PostgreSQL ARE to the `regex` crate's syntax; the flag says whether it uses
/// back-references or lookaround (which need the backtracking engine).
fn translate_regex(p: &str) -> TypeResult<(String, bool)> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut backtracking = false;
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if in_class {
            match c {
                '\\' => {
                    match chars.get(i + 1) {
                        // ARE: `\b` is a backspace, `\B` a backslash (also in brackets)
                        Some('b') => out.push_str("\\x08"),
                        Some('B') => out.push_str("\\\\"),
                        Some(&n) => {
                            out.push('\\');
                            out.push(n);
                        }
                        None => out.push('\\'),
                    }
                    i += usize::from(chars.get(i + 1).is_some());
                }
                '[' if matches!(chars.get(i + 1), Some(':' | '=' | '.')) => {
                    // A POSIX class such as [:alpha:]: copy through its closing bracket.
                    let delim = chars[i + 1];
                    let mut j = i + 2;
                    while j + 1 < chars.len() && !(chars[j] == delim && chars[j + 1] == ']') {
                        j += 1;
                    }
                    let end = (j + 2).min(chars.len());
                    out.extend(&chars[i..end]);
                    i = end;
                    continue;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                ']' if i > class_start => {
                    out.push(']');
                    in_class = false;
                }
                _ => out.push(c),
            }
            i += 1;
            continue;
        }
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err(regex_error("invalid escape \\ sequence"));
                };
                match n {
                    'm' => out.push_str(r"\b{start}"),
                    'M' => out.push_str(r"\b{end}"),
                    'y' => out.push_str(r"\b"),
                    'Y' => out.push_str(r"\B"),
                    'Z' => out.push_str(r"\z"),
                    // ARE: `\b` is a backspace, `\B` a backslash (`\y` / `\Y` are the
                    // word boundaries)
                    'b' => out.push_str(r"\x08"),
                    'B' => out.push_str(r"\\"),
                    '1'..='9' => {
                        backtracking = true;
                        out.push('\\');
                        out.push(n);
                    }
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                i += 2;
                continue;
            }
            '[' => {
                out.push('[');
                in_class = true;
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A `]` right after the opening bracket (and `^`) is literal.
                class_start = i;
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            '{' if !chars.get(i + 1).is_some_and(char::is_ascii_digit) => {
                // Not a bound: a literal brace, as in PostgreSQL.
                out.push_str("\\{");
            }
            '(' if chars.get(i + 1) == Some(&'?')
                && (matches!(chars.get(i + 2), Some('=' | '!'))
                    || (chars.get(i + 2) == Some(&'<')
                        && matches!(chars.get(i + 3), Some('=' | '!')))) =>
            {
                // Lookahead / lookbehind.
                backtracking = true;
                out.push('(');
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if in_class {
        return Err(regex_error("brackets [] not balanced"));
    }
    Ok((out, backtracking))
}

/// Maps a `regex` crate error to PostgreSQL's wording where there is an equivalent.
fn map_regex_error(e: &regex::Error) -> TypeError {
    let text = e.to_string();
    let detail = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(text.as_str())
        .to_owned();
    let msg = if detail.contains("unclosed group") || detail.contains("unopened group") {
        "parentheses () not balanced"
    } else if detail.contains("unclosed character class") {
        "brackets [] not balanced"
    } else if detail.contains("repetition operator missing expression")
        || detail.contains("repetition quantifier")
    {
        "quantifier operand invalid"
    } else if detail.contains("invalid repetition count")
        || detail.contains("counted repetition")
        || detail.contains("decimal")
    {
        "invalid repetition count(s)"
    } else if detail.contains("escape") {
        "invalid escape \\ sequence"
    } else if detail.contains("character class") {
        "invalid character class"
    } else if detail.contains("look-around") || detail.contains("look-behind") {
        return TypeError::new(
            codes::FEATURE_NOT_SUPPORTED,
            "regular expression lookaround is not supported",
        );
    } else {
        return regex_error(&detail);
    };
    regex_error(msg)
}

/// A compiled PostgreSQL regular expression: the `regex` crate's automaton, or the
/// backtracking `fancy_regex` engine for patterns with back-references or lookaround.
#[derive(Clone)]
enum Regex {
    Plain(regex::Regex),
    Backtracking(fancy_regex::Regex),
}

/// The capture groups of one match: byte spans into the searched text.
struct Captures<'t> {
    text: &'t str,
    spans: Vec<Option<(usize, usize)>>,
}

/// One capture group's span.
#[derive(Clone, Copy)]
struct Match<'t> {
    text: &'t str,
    start: usize,
    end: usize,
}

impl<'t> Match<'t> {
    fn start(&self) -> usize {
        self.start
    }

    fn end(&self) -> usize {
        self.end
    }

    fn as_str(&self) -> &'t str {
        &self.text[self.start..self.end]
    }
}

impl<'t> Captures<'t> {
    fn get(&self, i: usize) -> Option<Match<'t>> {
        self.spans
            .get(i)
            .copied()
            .flatten()
            .map(|(start, end)| Match {
                text: self.text,
                start,
                end,
            })
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    fn plain(text: &'t str, c: &regex::Captures<'t>) -> Self {
        Captures {
            text,
            spans: c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect(),
        }
    }

    fn backtracking(text: &'t str, c: &fancy_regex::Captures<'t, str>) -> Self {
        Captures {
            text,
            spans: c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect(),
        }
    }
}

/// A failure of the backtracking engine while matching (its step limit).
fn backtrack_error(e: &fancy_regex::Error) -> TypeError {
    regex_error(&e.to_string())
}

impl Regex {
    /// The first match starting at byte `pos` or later.
    fn captures_at<'t>(&self, s: &'t str, pos: usize) -> TypeResult<Option<Captures<'t>>> {
        Ok(match self {
            Regex::Plain(re) => re.captures_at(s, pos).map(|c| Captures::plain(s, &c)),
            Regex::Backtracking(re) => re
                .captures_from_pos(s, pos)
                .map_err(|e| backtrack_error(&e))?
                .map(|c| Captures::backtracking(s, &c)),
        })
    }

    fn captures<'t>(&self, s: &'t str) -> TypeResult<Option<Captures<'t>>> {
        self.captures_at(s, 0)
    }

    /// Every non-overlapping match, as the engine iterates them.
    fn captures_all<'t>(&self, s: &'t str) -> TypeResult<Vec<Captures<'t>>> {
        match self {
            Regex::Plain(re) => Ok(re
                .captures_iter(s)
                .map(|c| Captures::plain(s, &c))
                .collect()),
            Regex::Backtracking(re) => re
                .captures_iter(s)
                .map(|c| {
                    c.map(|c| Captures::backtracking(s, &c))
                        .map_err(|e| backtrack_error(&e))
                })
                .collect(),
        }
    }

    fn is_match(&self, s: &str) -> TypeResult<bool> {
        match self {
            Regex::Plain(re) => Ok(re.is_match(s)),
            Regex::Backtracking(re) => re.is_match(s).map_err(|e| backtrack_error(&e)),
        }
    }
}

thread_local! {
    static REGEX_CACHE: RefCell<Vec<(String, RegexFlags, Regex)>> = const { RefCell::new(Vec::new()) };
}

const REGEX_CACHE_SIZE: usize = 32;

/// `parse_ident(str [, strict])`: the parts of a qualified SQL identifier, as PostgreSQL
/// splits them: unquoted parts are lowercased (ASCII letters), quoted ones kept with `""`
/// undoubled; whitespace may surround the dots. Without `strict`, text after the last
/// identifier is ignored.
fn parse_ident(s: &str, strict: bool) -> TypeResult<Vec<Value>> {
    let invalid = |detail: Option<&str>| {
        let e = TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("string is not a valid identifier: \"{s}\""),
        );
        match detail {
            Some(d) => e.with_detail(d),
            None => e,
        }
    };
    let c: Vec<char> = s.chars().collect();
    let space = |ch: char| matches!(ch, ' ' | '\t' | '\n' | '\r' | '\u{c}');
    let start = |ch: char| ch.is_ascii_alphabetic() || ch == '_' || !ch.is_ascii();
    let cont = |ch: char| start(ch) || ch.is_ascii_digit() || ch == '$';
    let mut i = 0;
    while i < c.len() && space(c[i]) {
        i += 1;
    }
    let mut out = Vec::new();
    let mut after_dot = false;
    loop {
        if c.get(i) == Some(&'"') {
            let mut part = String::new();
            i += 1;
            loop {
                match c.get(i) {
                    None => return Err(invalid(Some("String has unclosed double quotes."))),
                    Some('"') if c.get(i + 1) == Some(&'"') => {
                        part.push('"');
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        part.push(ch);
                        i += 1;
                    }
                }
            }
            if part.is_empty() {
                return Err(invalid(Some("Quoted identifier must not be empty.")));
            }
            out.push(Value::Text(part));
        } else if c.get(i).is_some_and(|ch| start(*ch)) {
            let st = i;
            while i < c.len() && cont(c[i]) {
                i += 1;
            }
            out.push(Value::Text(
                c[st..i].iter().map(|ch| ch.to_ascii_lowercase()).collect(),
            ));
        } else if c.get(i) == Some(&'.') {
            return Err(invalid(Some("No valid identifier before \".\".")));
        } else if after_dot {
            return Err(invalid(Some("No valid identifier after \".\".")));
        } else {
            return Err(invalid(None));
        }
        while i < c.len() && space(c[i]) {
            i += 1;
        }
        match c.get(i) {
            Some('.') => {
                after_dot = true;
                i += 1;
                while i < c.len() && space(c[i]) {
                    i += 1;
                }
            }
            None => break,
            Some(_) if strict => return Err(invalid(None)),
            Some(_) => break,
        }
    }
    Ok(out)
}

/// Whether `s` matches the pattern of a jsonpath `like_regex` with its XQuery `flags`, which
/// PostgreSQL runs as an ARE: `i` ignores case, `q` quotes the whole pattern; otherwise `.`
/// stops at newlines unless `s`, and `m` makes `^` / `$` match at line boundaries.
pub(crate) fn xquery_regex_match(s: &str, pattern: &str, flags: &str) -> TypeResult<bool> {
    let quote = flags.contains('q');
    let f = RegexFlags {
        global: false,
        icase: flags.contains('i'),
        newline_dot: !quote && !flags.contains('s'),
        newline_anchor: !quote && flags.contains('m'),
        expanded: false,
        literal: quote,
    };
    compile(pattern, f)?.is_match(s)
}

/// Compiles (or fetches from the per-thread cache) a PostgreSQL regular expression.
fn compile(pattern: &str, flags: RegexFlags) -> TypeResult<Regex> {
    let key_flags = RegexFlags {
        global: false,
        ..flags
    };
    if let Some(re) = REGEX_CACHE.with(|c| {
        c.borrow()
            .iter()
            .find(|(p, f, _)| p == pattern && *f == key_flags)
            .map(|(_, _, r)| r.clone())
    }) {
        return Ok(re);
    }
    let (body, backtracking) = if flags.literal {
        (regex::escape(pattern), false)
    } else {
        translate_regex(pattern)?
    };
    let re = if backtracking {
        // The backtracking engine takes the options as inline flags.
        let mut inline = String::from("(?");
        if flags.icase {
            inline.push('i');
        }
        if !flags.newline_dot {
            inline.push('s');
        }
        if flags.newline_anchor {
            inline.push('m');
        }
        if flags.expanded {
            inline.push('x');
        }
        let full = if inline.len() > 2 {
            format!("{inline}){body}")
        } else {
            body
        };
        Regex::Backtracking(fancy_regex::Regex::new(&full).map_err(|e| {
            let text = e.to_string();
            if text.contains("nvalid back") || text.contains("backref") {
                regex_error("invalid backreference number")
            } else {
                regex_error(&text)
            }
        })?)
    } else {
        Regex::Plain(
            regex::RegexBuilder::new(&body)
                .case_insensitive(flags.icase)
                .dot_matches_new_line(!flags.newline_dot)
                .multi_line(flags.newline_anchor)
                .ignore_whitespace(flags.expanded)
                .build()
                .map_err(|e| map_regex_error(&e))?,
        )
    };
    REGEX_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= REGEX_CACHE_SIZE {
            c.remove(0);
        }
        c.push((pattern.to_owned(), key_flags, re.clone()));
    });
    Ok(re)
}

/// Every match from byte offset `start`, PostgreSQL style: after a zero-length match the
/// search resumes one character later, and an empty match right after a non-empty one
/// still counts.
fn all_matches<'t>(re: &Regex, s: &'t str, start: usize) -> TypeResult<Vec<Captures<'t>>> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos <= s.len() {
        let Some(caps) = re.captures_at(s, pos)? else {
            break;
        };
        let Some(m) = caps.get(0) else {
            break;
        };
        let (so, eo) = (m.start(), m.end());
        out.push(caps);
        pos = if so == eo {
            match s[eo..].chars().next() {
                Some(c) => eo + c.len_utf8(),
                None => break,
            }
        } else {
            eo
        };
    }
    Ok(out)
}

/// PostgreSQL's replacement syntax: `\1`..`\9` groups, `\&` the whole match, `\\`.
fn expand_replacement(out: &mut String, repl: &str, caps: &Captures<'_>) {
    let mut it = repl.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.peek().copied() {
            Some(d @ '1'..='9') => {
                it.next();
                let idx = (d as u8 - b'0') as usize;
                if let Some(m) = caps.get(idx) {
                    out.push_str(m.as_str());
                }
            }
            Some('&') => {
                it.next();
                if let Some(m) = caps.get(0) {
                    out.push_str(m.as_str());
                }
            }
            Some('\\') => {
                it.next();
                out.push('\\');
            }
            _ => out.push('\\'),
        }
    }
}

fn regexp_replace(
    s: &str,
    pattern: &str,
    repl: &str,
    start: i64,
    n: Option<i64>,
    flags: &str,
) -> TypeResult<String> {
    if start <= 0 {
        return Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"start\": {start}"),
        ));
    }
    if let Some(n) = n
        && n < 0
    {
        return Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"n\": {n}"),
        ));
    }
    let f = parse_flags(flags, false)?;
    let re = compile(pattern, f)?;
    let byte_start = s
        .char_indices()
        .nth((start - 1) as usize)
        .map_or(s.len() + 1, |(i, _)| i);
    if byte_start > s.len() {
        return Ok(s.to_owned());
    }
    // Which matches to replace: all (g or n = 0), else the n-th (default first).
    let which = match n {
        Some(0) => None,
        Some(k) => Some(k as usize),
        None if f.global => None,
        None => Some(1),
    };
    let matches = all_matches(&re, s, byte_start)?;
    let mut out = String::with_capacity(s.len());
    let mut copied = 0usize;
    for (k, caps) in matches.iter().enumerate() {
        if let Some(w) = which
            && k + 1 != w
        {
            continue;
        }
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&s[copied..m.start()]);
        expand_replacement(&mut out, repl, caps);
        copied = m.end();
    }
    out.push_str(&s[copied..]);
    Ok(out)
}

fn match_array(caps: &Captures<'_>) -> Value {
    let elems = if caps.len() > 1 {
        (1..caps.len())
            .map(|i| {
                caps.get(i)
                    .map_or(Value::Null, |m| Value::Text(m.as_str().to_owned()))
            })
            .collect()
    } else {
        vec![
            caps.get(0)
                .map_or(Value::Null, |m| Value::Text(m.as_str().to_owned())),
        ]
    };
    Value::array(TEXT, elems)
}

/// `regexp_matches(s, pattern, flags)`: one `text[]` of captures per match; every match
/// with the `g` flag, else the first.
pub(crate) fn regexp_matches(s: &str, pattern: &str, flags: &str) -> TypeResult<Vec<Value>> {
    let f = parse_flags(flags, false)?;
    let re = compile(pattern, f)?;
    Ok(if f.global {
        re.captures_all(s)?.iter().map(match_array).collect()
    } else {
        re.captures(s)?
            .map(|c| match_array(&c))
            .into_iter()
            .collect()
    })
}

pub(crate) fn regexp_split(
    s: &str,
    pattern: &str,
    flags: &str,
    fname: &str,
) -> TypeResult<Vec<Value>> {
    let f = parse_flags(flags, false)?;
    if f.global {
        return Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("{fname}() does not support the \"global\" option"),
        ));
    }
    let re = compile(pattern, f)?;
    let mut parts = Vec::new();
    let mut prev_end = 0usize;
    let mut piece_start = 0usize;
    for caps in all_matches(&re, s, 0)? {
        let Some(m) = caps.get(0) else { continue };
        // Zero-length matches at the start or end of the string, or right after the
        // previous match, do not split.
        if m.start() < s.len() && m.end() > prev_end {
            parts.push(Value::Text(s[piece_start..m.start()].to_owned()));
            piece_start = m.end();
        }
        prev_end = m.end();
    }
    parts.push(Value::Text(s[piece_start..].to_owned()));
    Ok(parts)
}

fn regex_is_match(s: &str, pattern: &str, icase: bool) -> TypeResult<bool> {
    let re = compile(
        pattern,
        RegexFlags {
            icase,
            ..RegexFlags::default()
        },
    )?;
    re.is_match(s)
}

/// The first parenthesised group of the first match, or the whole match.
fn regex_substring(s: &str, re_text: &str) -> TypeResult<Value> {
    let re = compile(re_text, RegexFlags::default())?;
    Ok(match re.captures(s)? {
        None => Value::Null,
        Some(caps) => {
            let m = if caps.len() > 1 {
                caps.get(1)
            } else {
                caps.get(0)
            };
            m.map_or(Value::Null, |m| Value::Text(m.as_str().to_owned()))
        }
    })
}

// ---------------------------------------------------------------------------------------
// Arrays.

fn array_parts(v: &Value) -> Option<(&DataType, &[Value])> {
    match v {
        Value::Array(a) => Some((&a.element_type, &a.elements)),
        _ => None,
    }
}

/// `array_cat`: arrays of one number of dimensions end to end along the first; an array
/// of one dimension fewer becomes one more element of the first dimension.
fn array_cat(x: &ArrayValue, y: &ArrayValue) -> TypeResult<Value> {
    if x.dims.is_empty() {
        return Ok(Value::Array(Box::new(y.clone())));
    }
    if y.dims.is_empty() {
        return Ok(Value::Array(Box::new(x.clone())));
    }
    let incompatible = |detail: &str| {
        TypeError::new("2202E", "cannot concatenate incompatible arrays").with_detail(detail)
    };
    let (nx, ny) = (x.dims.len(), y.dims.len());
    let mut dims = Vec::new();
    if nx == ny {
        if x.dims[1..]
            .iter()
            .map(|d| d.len)
            .ne(y.dims[1..].iter().map(|d| d.len))
        {
            return Err(incompatible(
                "Arrays with differing element dimensions are not compatible for concatenation.",
            ));
        }
        dims.push(ArrayDim {
            lower: x.dims[0].lower,
            len: x.dims[0].len + y.dims[0].len,
        });
        dims.extend_from_slice(&x.dims[1..]);
    } else if nx == ny + 1 {
        if x.dims[1..]
            .iter()
            .map(|d| d.len)
            .ne(y.dims.iter().map(|d| d.len))
        {
            return Err(incompatible(
                "Arrays with differing dimensions are not compatible for concatenation.",
            ));
        }
        dims.push(ArrayDim {
            lower: x.dims[0].lower,
            len: x.dims[0].len + 1,
        });
        dims.extend_from_slice(&x.dims[1..]);
    } else if ny == nx + 1 {
        if y.dims[1..]
            .iter()
            .map(|d| d.len)
            .ne(x.dims.iter().map(|d| d.len))
        {
            return Err(incompatible(
                "Arrays with differing dimensions are not compatible for concatenation.",
            ));
        }
        dims.push(ArrayDim {
            lower: y.dims[0].lower,
            len: y.dims[0].len + 1,
        });
        dims.extend_from_slice(&y.dims[1..]);
    } else {
        return Err(incompatible(&format!(
            "Arrays of {nx} and {ny} dimensions are not compatible for concatenation."
        )));
    }
    let mut elements = x.elements.clone();
    elements.extend_from_slice(&y.elements);
    Value::array_with_dims(x.element_type.clone(), elements, dims).ok_or_else(|| {
        incompatible("Arrays with differing dimensions are not compatible for concatenation.")
    })
}

fn elem_type(oid: u32) -> DataType {
    DataType::from_oid(oid).unwrap_or(TEXT)
}

pub(crate) fn string_to_array(s: &str, delim: Option<&str>, null_str: Option<&str>) -> Vec<Value> {
    let to_value = |p: &str| {
        if Some(p) == null_str {
            Value::Null
        } else {
            Value::Text(p.to_owned())
        }
    };
    if s.is_empty() {
        return Vec::new();
    }
    match delim {
        None => s
            .chars()
            .map(|c| to_value(c.encode_utf8(&mut [0u8; 4])))
            .collect(),
        Some("") => vec![to_value(s)],
        Some(d) => s.split(d).map(to_value).collect(),
    }
}

// ---------------------------------------------------------------------------------------
// Dispatch.

/// Calls a function.
pub fn call(f: StringFunc, args: &[Value], ctx: &EvalContext) -> TypeResult<Value> {
    use StringFunc::*;
    let tctx = &ctx.types;
    let a = |i: usize| args.get(i);
    let t = |i: usize| text(args.get(i)).ok_or_else(|| wrong_args(f));
    let n = |i: usize| int(args.get(i)).ok_or_else(|| wrong_args(f));
    // Non-strict functions handle NULLs themselves; the rest return NULL here too, so a
    // caller that ignores `strict` still gets PostgreSQL's answer.
    let non_strict = matches!(
        f,
        Concat
            | ConcatWs
            | Format
            | Variadic(_)
            | QuoteNullable
            | StringToArray
            | ArrayToString
            | ArrayAppend(_)
            | ArrayPrepend(_)
            | ArrayCat(_)
            | ArrayPosition
            | ArrayRemove
            | ArrayAssign(_)
            | ArraySliceAssign(_)
            | ArrayPositions
            | ArrayReplace
            | ArrayFill
    );
    if !non_strict && args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    Ok(match f {
        Length => i4(t(0)?.chars().count()),
        BpcharLength => i4(t(0)?.trim_end_matches(' ').chars().count()),
        OctetLength | BitLength => {
            let bytes = match a(0) {
                Some(Value::Bytea(b)) => b.len(),
                _ => t(0)?.len(),
            };
            i4(if f == BitLength { bytes * 8 } else { bytes })
        }
        Lower => Value::Text(map_case(t(0)?, false)),
        Upper => Value::Text(map_case(t(0)?, true)),
        Initcap => Value::Text(initcap(t(0)?)),
        Substr => {
            let chars: Vec<char> = t(0)?.chars().collect();
            let count = if args.len() > 2 { Some(n(2)?) } else { None };
            let (s, e) = substring_range(chars.len(), n(1)?, count)?;
            Value::Text(chars[s..e].iter().collect())
        }
        ByteaSubstr => {
            let Some(Value::Bytea(b)) = a(0) else {
                return Err(wrong_args(f));
            };
            let count = if args.len() > 2 { Some(n(2)?) } else { None };
            let (s, e) = substring_range(b.len(), n(1)?, count)?;
            Value::Bytea(b[s..e].to_vec())
        }
        SubstringRegex => regex_substring(t(0)?, t(1)?)?,
        SubstringSimilar => {
            let re = similar_to_regex(t(1)?, Some(t(2)?))?;
            regex_substring(t(0)?, &re)?
        }
        Strpos => {
            let (s, sub) = (t(0)?, t(1)?);
            i4(s.find(sub).map_or(0, |b| s[..b].chars().count() + 1))
        }
        PositionText => {
            let (s, sub) = (t(0)?, t(1)?);
            i4(s.find(sub).map_or(0, |b| s[..b].chars().count() + 1))
        }
        PositionBytea => {
            let (Some(Value::Bytea(hay)), Some(Value::Bytea(needle))) = (a(0), a(1)) else {
                return Err(wrong_args(f));
            };
            let pos = if needle.is_empty() {
                Some(0)
            } else {
                hay.windows(needle.len())
                    .position(|w| w == needle.as_slice())
            };
            i4(pos.map_or(0, |p| p + 1))
        }
        Btrim | Ltrim | Rtrim => {
            let chars = if args.len() > 1 { t(1)? } else { " " };
            Value::Text(trim_set(t(0)?, chars, f != Rtrim, f != Ltrim))
        }
        Lpad | Rpad => {
            let fill = if args.len() > 2 { t(2)? } else { " " };
            Value::Text(pad(t(0)?, n(1)?, fill, f == Lpad)?)
        }
        Left | Right => {
            let chars: Vec<char> = t(0)?.chars().collect();
            let len = chars.len() as i64;
            let k = n(1)?;
            let keep = if k >= 0 { k.min(len) } else { (len + k).max(0) } as usize;
            Value::Text(if f == Left {
                chars[..keep].iter().collect()
            } else {
                chars[chars.len() - keep..].iter().collect()
            })
        }
        Repeat => {
            let (s, k) = (t(0)?, n(1)?);
            if k <= 0 {
                Value::Text(String::new())
            } else {
                let total = (s.len() as i64).checked_mul(k).ok_or_else(too_long)?;
                if total + 4 > MAX_ALLOC || total > i64::from(i32::MAX) {
                    return Err(too_long());
                }
                Value::Text(s.repeat(k as usize))
            }
        }
        Replace => {
            let (s, from, to) = (t(0)?, t(1)?, t(2)?);
            Value::Text(if from.is_empty() {
                s.to_owned()
            } else {
                s.replace(from, to)
            })
        }
        Reverse => Value::Text(t(0)?.chars().rev().collect()),
        SplitPart => Value::Text(split_part(t(0)?, t(1)?, n(2)?)?),
        Concat => {
            let mut out = String::new();
            for v in args {
                if let Some(s) = output(v, tctx) {
                    out.push_str(&s);
                }
            }
            Value::Text(out)
        }
        ConcatWs => {
            let Some(sep) = text(a(0)) else {
                return Ok(Value::Null);
            };
            let parts: Vec<String> = args[1..].iter().filter_map(|v| output(v, tctx)).collect();
            Value::Text(parts.join(sep))
        }
        Format => {
            let Some(fmt) = text(a(0)) else {
                return Ok(Value::Null);
            };
            Value::Text(format_fn(fmt, &args[1..], tctx)?)
        }
        Variadic(v) => {
            let fixed = usize::from(v != VariadicFunc::Concat);
            let elems: Option<&[Value]> = a(fixed).and_then(array_parts).map(|(_, e)| e);
            match (v, elems) {
                (VariadicFunc::Format, _) => {
                    let Some(fmt) = text(a(0)) else {
                        return Ok(Value::Null);
                    };
                    Value::Text(format_fn(fmt, elems.unwrap_or(&[]), tctx)?)
                }
                (_, None) => Value::Null,
                (VariadicFunc::Concat, Some(elems)) => {
                    Value::Text(elems.iter().filter_map(|v| output(v, tctx)).collect())
                }
                (_, Some(elems)) => {
                    let Some(sep) = text(a(0)) else {
                        return Ok(Value::Null);
                    };
                    let parts: Vec<String> = elems.iter().filter_map(|v| output(v, tctx)).collect();
                    Value::Text(parts.join(sep))
                }
            }
        }
        StringToArray => {
            let Some(s) = text(a(0)) else {
                return Ok(Value::Null);
            };
            Value::array(TEXT, string_to_array(s, text(a(1)), text(a(2))))
        }
        ArrayToString => {
            let (Some((_, elems)), Some(delim)) = (a(0).and_then(array_parts), text(a(1))) else {
                return Ok(Value::Null);
            };
            let null_str = text(a(2));
            let parts: Vec<String> = elems
                .iter()
                .filter_map(|e| match output(e, tctx) {
                    Some(s) => Some(s),
                    None => null_str.map(str::to_owned),
                })
                .collect();
            Value::Text(parts.join(delim))
        }
        Translate => Value::Text(translate(t(0)?, t(1)?, t(2)?)),
        Ascii => Value::Int4(t(0)?.chars().next().map_or(0, |c| c as i32)),
        Chr => Value::Text(chr(n(0)?)?),
        Md5 => Value::Text(match a(0) {
            Some(Value::Bytea(b)) => md5_hex(b),
            _ => md5_hex(t(0)?.as_bytes()),
        }),
        Sha(bits) => {
            use sha2::Digest;
            let Some(Value::Bytea(b)) = a(0) else {
                return Err(wrong_args(f));
            };
            Value::Bytea(match bits {
                224 => sha2::Sha224::digest(b).to_vec(),
                256 => sha2::Sha256::digest(b).to_vec(),
                384 => sha2::Sha384::digest(b).to_vec(),
                _ => sha2::Sha512::digest(b).to_vec(),
            })
        }
        GetBit | SetBit => {
            let Some(Value::Bytea(b)) = a(0) else {
                return Err(wrong_args(f));
            };
            let i = n(1)?;
            let bits = b.len() as i64 * 8;
            if i < 0 || i >= bits {
                return Err(TypeError::new(
                    basalt_common::types::error::codes::ARRAY_SUBSCRIPT_ERROR,
                    format!("index {i} out of valid range, 0..{}", bits - 1),
                ));
            }
            let (byte, bit) = ((i / 8) as usize, (i % 8) as u32);
            if f == GetBit {
                Value::Int4(i32::from((b[byte] >> bit) & 1))
            } else {
                let v = n(2)?;
                if v != 0 && v != 1 {
                    return Err(TypeError::new(
                        codes::INVALID_PARAMETER_VALUE,
                        "new bit must be 0 or 1",
                    ));
                }
                let mut out = b.clone();
                out[byte] = (out[byte] & !(1 << bit)) | ((v as u8) << bit);
                Value::Bytea(out)
            }
        }
        BitCount => {
            let Some(Value::Bytea(b)) = a(0) else {
                return Err(wrong_args(f));
            };
            Value::Int8(b.iter().map(|x| i64::from(x.count_ones())).sum())
        }
        Overlay | ByteaOverlay => {
            // substring(s, 1, from - 1) || placing || substring(s, from + for)
            let (src, placing): (Vec<u32>, Vec<u32>) = match (a(0), a(1)) {
                (Some(Value::Bytea(x)), Some(Value::Bytea(y))) => (
                    x.iter().map(|&c| u32::from(c)).collect(),
                    y.iter().map(|&c| u32::from(c)).collect(),
                ),
                _ => (
                    t(0)?.chars().map(u32::from).collect(),
                    t(1)?.chars().map(u32::from).collect(),
                ),
            };
            let from = n(2)?;
            let count = if args.len() > 3 {
                n(3)?
            } else {
                placing.len() as i64
            };
            let after = from
                .checked_add(count)
                .filter(|v| i32::try_from(*v).is_ok())
                .ok_or_else(|| {
                    TypeError::new(codes::NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range")
                })?;
            let (s1, e1) = substring_range(src.len(), 1, Some(from - 1))?;
            let (s2, e2) = substring_range(src.len(), after, None)?;
            let mut out: Vec<u32> = src[s1..e1].to_vec();
            out.extend(&placing);
            out.extend(&src[s2..e2]);
            if f == ByteaOverlay {
                Value::Bytea(out.into_iter().map(|c| c as u8).collect())
            } else {
                Value::Text(out.into_iter().filter_map(char::from_u32).collect())
            }
        }
        ByteaTrim { left, right } => {
            let (Some(Value::Bytea(b)), Some(Value::Bytea(set))) = (a(0), a(1)) else {
                return Err(wrong_args(f));
            };
            let mut s = 0;
            let mut e = b.len();
            if left {
                while s < e && set.contains(&b[s]) {
                    s += 1;
                }
            }
            if right {
                while e > s && set.contains(&b[e - 1]) {
                    e -= 1;
                }
            }
            Value::Bytea(b[s..e].to_vec())
        }
        ByteaLikeEscape => {
            let (Some(Value::Bytea(p)), Some(Value::Bytea(e))) = (a(0), a(1)) else {
                return Err(wrong_args(f));
            };
            // Bytes as Latin-1 characters: the rewrite only looks at ASCII punctuation and
            // the (single-byte) escape.
            let latin = |b: &[u8]| b.iter().map(|&c| char::from(c)).collect::<String>();
            let out = like_escape(&latin(p), &latin(e))?;
            Value::Bytea(out.chars().map(|c| c as u32 as u8).collect())
        }
        Unistr => Value::Text(unistr(t(0)?)?),
        ConvertFrom | ConvertTo => {
            let enc = t(1)?;
            let norm: String = enc
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if !matches!(norm.as_str(), "utf8" | "unicode" | "sqlascii") {
                return Err(TypeError::new(
                    codes::INVALID_PARAMETER_VALUE,
                    format!(
                        "invalid {} encoding name \"{enc}\"",
                        if f == ConvertFrom {
                            "source"
                        } else {
                            "destination"
                        }
                    ),
                ));
            }
            match a(0) {
                Some(Value::Bytea(b)) => {
                    // The first invalid sequence (a NUL byte counts), PostgreSQL's way.
                    let bad = match std::str::from_utf8(b) {
                        Ok(s) => s.find('\0'),
                        Err(e) => Some(e.valid_up_to()),
                    };
                    let Some(at) = bad else {
                        return Ok(Value::Text(String::from_utf8_lossy(b).into_owned()));
                    };
                    let want = match b[at] {
                        0xC0..=0xDF => 2,
                        0xE0..=0xEF => 3,
                        0xF0..=0xF7 => 4,
                        _ => 1,
                    };
                    let shown: Vec<String> = b[at..(at + want).min(b.len())]
                        .iter()
                        .map(|x| format!("0x{x:02x}"))
                        .collect();
                    return Err(TypeError::new(
                        "22021",
                        format!(
                            "invalid byte sequence for encoding \"UTF8\": {}",
                            shown.join(" ")
                        ),
                    ));
                }
                _ => Value::Bytea(t(0)?.as_bytes().to_vec()),
            }
        }
        ToAscii => {
            return Err(TypeError::new(
                codes::FEATURE_NOT_SUPPORTED,
                "encoding conversion from UTF8 to ASCII not supported",
            ));
        }
        GetByte | SetByte => {
            let Some(Value::Bytea(b)) = a(0) else {
                return Err(wrong_args(f));
            };
            let i = n(1)?;
            let Some(at) = usize::try_from(i).ok().filter(|at| *at < b.len()) else {
                return Err(TypeError::new(
                    basalt_common::types::error::codes::ARRAY_SUBSCRIPT_ERROR,
                    format!("index {i} out of valid range, 0..{}", b.len() as i64 - 1),
                ));
            };
            if f == GetByte {
                Value::Int4(i32::from(b[at]))
            } else {
                let mut out = b.clone();
                // PostgreSQL keeps the low 8 bits of the new value.
                out[at] = n(2)? as u8;
                Value::Bytea(out)
            }
        }
        ToHex => Value::Text(match a(0) {
            Some(Value::Int4(x)) => format!("{:x}", *x as u32),
            Some(Value::Int8(x)) => format!("{:x}", *x as u64),
            _ => return Err(wrong_args(f)),
        }),
        SizePretty => match a(0) {
            Some(Value::Int8(x)) => Value::Text(size_pretty(i128::from(*x), None)),
            Some(Value::Numeric(n)) => {
                let text = n.to_string();
                // Only whole units are divided; the digits after the point count in bytes.
                let whole = text.split('.').next().unwrap_or("0");
                let Ok(int) = whole.parse::<i128>() else {
                    return Err(wrong_args(f));
                };
                Value::Text(size_pretty(int, Some(&text)))
            }
            _ => return Err(wrong_args(f)),
        },
        StartsWith => Value::Bool(t(0)?.starts_with(t(1)?)),
        QuoteIdent => Value::Text(quote_ident(t(0)?)),
        ParseIdent => {
            let strict = !matches!(a(1), Some(Value::Bool(false)));
            Value::array(TEXT, parse_ident(t(0)?, strict)?)
        }
        QuoteLiteral | QuoteNullable => match a(0) {
            None | Some(Value::Null) => {
                if f == QuoteNullable {
                    Value::Text("NULL".into())
                } else {
                    Value::Null
                }
            }
            Some(v) => match as_text(v, tctx)? {
                Some(s) => Value::Text(quote_literal(&s)),
                None => Value::Null,
            },
        },
        RegexpReplace { positional } => {
            let (s, p, r) = (t(0)?, t(1)?, t(2)?);
            if positional {
                let start = n(3)?;
                let nth = if args.len() > 4 { Some(n(4)?) } else { None };
                let flags = if args.len() > 5 { t(5)? } else { "" };
                Value::Text(regexp_replace(s, p, r, start, nth, flags)?)
            } else {
                let flags = if args.len() > 3 { t(3)? } else { "" };
                Value::Text(regexp_replace(s, p, r, 1, None, flags)?)
            }
        }
        RegexpMatch => {
            let flags = parse_flags(if args.len() > 2 { t(2)? } else { "" }, false)?;
            if flags.global {
                return Err(TypeError::new(
                    codes::INVALID_PARAMETER_VALUE,
                    "regexp_match() does not support the \"global\" option",
                )
                .with_detail("Use the regexp_matches function instead."));
            }
            let re = compile(t(1)?, flags)?;
            match re.captures(t(0)?)? {
                None => Value::Null,
                Some(caps) => match_array(&caps),
            }
        }
        RegexpInstr => {
            let src = t(0)?;
            let arg = |i: usize, d: i64| if args.len() > i { n(i) } else { Ok(d) };
            let (start, nth, endopt) = (arg(2, 1)?, arg(3, 1)?, arg(4, 0)?);
            let flags = if args.len() > 5 { t(5)? } else { "" };
            let sub = arg(6, 0)?;
            check_regexp_params(start, nth, Some(endopt), sub)?;
            let fl = parse_flags(flags, false)?;
            if fl.global {
                return Err(TypeError::new(
                    codes::INVALID_PARAMETER_VALUE,
                    "regexp_instr() does not support the \"global\" option",
                ));
            }
            let re = compile(t(1)?, fl)?;
            let offset = src
                .char_indices()
                .nth(usize::try_from(start - 1).unwrap_or(usize::MAX))
                .map_or(src.len(), |(i, _)| i);
            let hay = &src[offset..];
            let k = usize::try_from(nth - 1).unwrap_or(usize::MAX);
            let pos = re.captures_all(hay)?.into_iter().nth(k).and_then(|c| {
                c.get(usize::try_from(sub).unwrap_or(usize::MAX)).map(|m| {
                    let byte = offset + if endopt == 1 { m.end() } else { m.start() };
                    src[..byte].chars().count() + 1
                })
            });
            i4(pos.unwrap_or(0))
        }
        RegexpLike | RegexpCount | RegexpSubstr => {
            let src = t(0)?;
            let (start, nth, flags, sub) = match f {
                RegexpLike => (1, 1, if args.len() > 2 { t(2)? } else { "" }, 0),
                RegexpCount => (
                    if args.len() > 2 { n(2)? } else { 1 },
                    1,
                    if args.len() > 3 { t(3)? } else { "" },
                    0,
                ),
                _ => (
                    if args.len() > 2 { n(2)? } else { 1 },
                    if args.len() > 3 { n(3)? } else { 1 },
                    if args.len() > 4 { t(4)? } else { "" },
                    if args.len() > 5 { n(5)? } else { 0 },
                ),
            };
            check_regexp_params(start, nth, None, sub)?;
            let fl = parse_flags(flags, false)?;
            if fl.global {
                let name = match f {
                    RegexpLike => "regexp_like()",
                    RegexpCount => "regexp_count()",
                    _ => "regexp_substr()",
                };
                return Err(TypeError::new(
                    codes::INVALID_PARAMETER_VALUE,
                    format!("{name} does not support the \"global\" option"),
                ));
            }
            let re = compile(t(1)?, fl)?;
            // Characters before `start` are skipped.
            let offset = src
                .char_indices()
                .nth(usize::try_from(start - 1).unwrap_or(usize::MAX))
                .map_or(src.len(), |(i, _)| i);
            let hay = &src[offset..];
            match f {
                RegexpLike => Value::Bool(re.is_match(hay)?),
                RegexpCount => i4(re.captures_all(hay)?.len()),
                _ => {
                    let k = usize::try_from(nth - 1).unwrap_or(usize::MAX);
                    match re.captures_all(hay)?.into_iter().nth(k) {
                        None => Value::Null,
                        Some(c) => c
                            .get(usize::try_from(sub).unwrap_or(usize::MAX))
                            .map_or(Value::Null, |m| Value::Text(m.as_str().to_owned())),
                    }
                }
            }
        }
        ArrayPositions => {
            let Some(Value::Array(x)) = a(0) else {
                return Ok(Value::Null);
            };
            if x.dims.len() > 1 {
                return Err(TypeError::new(
                    codes::FEATURE_NOT_SUPPORTED,
                    "searching for elements in multidimensional arrays is not supported",
                ));
            }
            let target = a(1).cloned().unwrap_or(Value::Null);
            let lower = x.dims.first().map_or(1, |d| i64::from(d.lower));
            Value::array(
                I4,
                x.elements
                    .iter()
                    .enumerate()
                    // IS NOT DISTINCT FROM: NULL finds NULLs.
                    .filter(|(_, e)| **e == target)
                    .map(|(i, _)| Value::Int4((lower + i as i64) as i32))
                    .collect(),
            )
        }
        ArrayReplace => {
            let Some(Value::Array(x)) = a(0) else {
                return Ok(Value::Null);
            };
            let from = a(1).cloned().unwrap_or(Value::Null);
            let to = a(2).cloned().unwrap_or(Value::Null);
            let mut out = x.clone();
            for e in &mut out.elements {
                if *e == from {
                    *e = to.clone();
                }
            }
            Value::Array(out)
        }
        ArrayFill => {
            let ints = |v: Option<&Value>, what: &str| -> TypeResult<Option<Vec<i32>>> {
                match v {
                    None => Ok(None),
                    Some(Value::Array(d)) => d
                        .elements
                        .iter()
                        .map(|e| match e {
                            Value::Int4(i) => Ok(*i),
                            _ => Err(TypeError::new(
                                NULL_VALUE_NOT_ALLOWED,
                                format!("{what} array must not contain nulls"),
                            )),
                        })
                        .collect::<TypeResult<Vec<_>>>()
                        .map(Some),
                    Some(_) => Err(TypeError::new(
                        NULL_VALUE_NOT_ALLOWED,
                        format!("{what} array or lower bound array must not be null"),
                    )),
                }
            };
            let dims = ints(a(1), "dimension")?.unwrap_or_default();
            let lower = ints(a(2), "dimension")?;
            if lower.as_ref().is_some_and(|l| l.len() != dims.len()) {
                return Err(TypeError::new(
                    codes::ARRAY_SUBSCRIPT_ERROR,
                    "wrong number of array subscripts",
                )
                .with_detail("Low bound array has different size than dimensions array."));
            }
            let value = a(0).cloned().unwrap_or(Value::Null);
            let ty = value.data_type().unwrap_or(TEXT);
            let mut shape = Vec::new();
            let mut count = 1usize;
            for (k, &d) in dims.iter().enumerate() {
                let len = usize::try_from(d.max(0)).unwrap_or(0);
                count = count.saturating_mul(len);
                shape.push(ArrayDim {
                    lower: lower.as_ref().map_or(1, |l| l[k]),
                    len,
                });
            }
            if count > 134_217_727 {
                return Err(TypeError::new(
                    "54000",
                    "array size exceeds the maximum allowed (134217727)",
                ));
            }
            Value::array_with_dims(ty, vec![value; count], shape)
                .unwrap_or_else(|| Value::array(TEXT, Vec::new()))
        }
        TrimArray => {
            let Some(Value::Array(x)) = a(0) else {
                return Err(wrong_args(f));
            };
            let k = n(1)?;
            let len = x.dims.first().map_or(0, |d| d.len);
            if k < 0 || k as usize > len {
                return Err(TypeError::new(
                    codes::ARRAY_SUBSCRIPT_ERROR,
                    format!("number of elements to trim must be between 0 and {len}"),
                ));
            }
            let keep = len - k as usize;
            match x.dims.first() {
                None => Value::Array(x.clone()),
                Some(d) => {
                    let lower = d.lower;
                    basalt_common::types::array::array_slice(
                        x,
                        &[(
                            Some(lower),
                            Some((i64::from(lower) + keep as i64 - 1) as i32),
                        )],
                    )
                }
            }
        }
        RegexpSplitToArray => {
            let flags = if args.len() > 2 { t(2)? } else { "" };
            Value::array(
                TEXT,
                regexp_split(t(0)?, t(1)?, flags, "regexp_split_to_array")?,
            )
        }
        Encode => {
            let Some(Value::Bytea(b)) = a(0) else {
                return Err(wrong_args(f));
            };
            let name = t(1)?;
            Value::Text(match name.to_ascii_lowercase().as_str() {
                "hex" => hex_encode(b),
                "base64" => base64_encode(b),
                "escape" => escape_encode(b),
                _ => return Err(unrecognized_encoding(name)),
            })
        }
        Decode => {
            let (s, name) = (t(0)?, t(1)?);
            Value::Bytea(match name.to_ascii_lowercase().as_str() {
                "hex" => hex_decode(s)?,
                "base64" => base64_decode(s)?,
                "escape" => escape_decode(s)?,
                _ => return Err(unrecognized_encoding(name)),
            })
        }
        ArrayLength | ArrayUpper | ArrayLower => {
            let Some(Value::Array(arr)) = a(0) else {
                return Err(wrong_args(f));
            };
            let d = n(1)?;
            match usize::try_from(d - 1).ok().and_then(|k| arr.dims.get(k)) {
                None => Value::Null,
                Some(dim) => match f {
                    ArrayLower => Value::Int4(dim.lower),
                    ArrayLength => i4(dim.len),
                    _ => Value::Int4((i64::from(dim.lower) + dim.len as i64 - 1) as i32),
                },
            }
        }
        Cardinality => i4(a(0)
            .and_then(array_parts)
            .ok_or_else(|| wrong_args(f))?
            .1
            .len()),
        ArrayAssign(oid) => {
            let mut subs = Vec::new();
            for v in args.get(2..).unwrap_or_default() {
                match v {
                    Value::Int4(i) => subs.push(*i),
                    Value::Null => {
                        return Err(TypeError::new(
                            "22004",
                            "array subscript in assignment must not be null",
                        ));
                    }
                    _ => return Err(wrong_args(f)),
                }
            }
            let value = a(1).cloned().unwrap_or(Value::Null);
            match a(0) {
                Some(Value::Array(arr)) => basalt_common::types::array::array_assign(
                    Some(arr),
                    &arr.element_type,
                    &subs,
                    value,
                )?,
                _ => {
                    basalt_common::types::array::array_assign(None, &elem_type(oid), &subs, value)?
                }
            }
        }
        ArraySliceAssign(oid) => {
            let bound = |i: usize| -> Option<i32> {
                match a(i) {
                    Some(Value::Int4(v)) => Some(*v),
                    _ => None,
                }
            };
            let array = match a(0) {
                Some(Value::Array(arr)) => Some(arr),
                _ => None,
            };
            let source = match a(1) {
                Some(Value::Array(arr)) => Some(arr),
                // A NULL source leaves the array as it is (PostgreSQL).
                _ => return Ok(a(0).cloned().unwrap_or(Value::Null)),
            };
            basalt_common::types::array::array_assign_slice(
                array.map(|a| &**a),
                &elem_type(oid),
                bound(2),
                bound(3),
                source.map(|a| &**a),
            )?
        }
        ArrayDims | ArrayNdims => {
            let Some(Value::Array(arr)) = a(0) else {
                return Err(wrong_args(f));
            };
            if arr.dims.is_empty() {
                Value::Null
            } else if f == ArrayNdims {
                i4(arr.dims.len())
            } else {
                Value::Text(
                    arr.dims
                        .iter()
                        .map(|d| format!("[{}:{}]", d.lower, i64::from(d.lower) + d.len as i64 - 1))
                        .collect(),
                )
            }
        }
        PatternCompare { accept } => {
            let bit = match t(0)?.as_bytes().cmp(t(1)?.as_bytes()) {
                std::cmp::Ordering::Less => 1,
                std::cmp::Ordering::Equal => 2,
                std::cmp::Ordering::Greater => 4,
            };
            Value::Bool(accept & bit != 0)
        }
        ArrayContains { contained } => {
            let (Some((_, x)), Some((_, y))) =
                (a(0).and_then(array_parts), a(1).and_then(array_parts))
            else {
                return Err(wrong_args(f));
            };
            let (outer, inner) = if contained { (y, x) } else { (x, y) };
            // NULL elements never match anything.
            Value::Bool(inner.iter().all(|e| !e.is_null() && outer.contains(e)))
        }
        ArrayOverlap => {
            let (Some((_, x)), Some((_, y))) =
                (a(0).and_then(array_parts), a(1).and_then(array_parts))
            else {
                return Err(wrong_args(f));
            };
            Value::Bool(x.iter().any(|e| !e.is_null() && y.contains(e)))
        }
        ArrayAppend(oid) | ArrayPrepend(oid) => {
            let (arr_v, elem) = if matches!(f, ArrayAppend(_)) {
                (a(0), a(1))
            } else {
                (a(1), a(0))
            };
            let elem = elem.cloned().unwrap_or(Value::Null);
            if let Some(Value::Array(x)) = arr_v
                && x.dims.len() > 1
            {
                return Err(TypeError::new(
                    "22000",
                    "argument must be empty or one-dimensional array",
                ));
            }
            let (ty, mut elems) = match arr_v.and_then(array_parts) {
                Some((t, e)) => (t.clone(), e.to_vec()),
                None => (elem_type(oid), Vec::new()),
            };
            // The array keeps its lower bound (`'[0:1]={1,2}' || 3` is `[0:2]={1,2,3}`).
            let lower = match arr_v {
                Some(Value::Array(x)) => x.dims.first().map_or(1, |d| d.lower),
                _ => 1,
            };
            if matches!(f, ArrayAppend(_)) {
                elems.push(elem);
            } else {
                elems.insert(0, elem);
            }
            let dims = vec![ArrayDim {
                lower,
                len: elems.len(),
            }];
            Value::array_with_dims(ty, elems, dims).ok_or_else(|| wrong_args(f))?
        }
        ArrayCat(_) => match (a(0), a(1)) {
            (Some(Value::Array(x)), Some(Value::Array(y))) => array_cat(x, y)?,
            (Some(v @ Value::Array(_)), _) | (_, Some(v @ Value::Array(_))) => v.clone(),
            _ => Value::Null,
        },
        ArrayPosition => {
            let Some((_, elems)) = a(0).and_then(array_parts) else {
                return Ok(Value::Null);
            };
            if let Some(Value::Array(x)) = a(0)
                && x.dims.len() > 1
            {
                return Err(TypeError::new(
                    codes::FEATURE_NOT_SUPPORTED,
                    "searching for elements in multidimensional arrays is not supported",
                ));
            }
            let target = a(1).cloned().unwrap_or(Value::Null);
            let start = match a(2) {
                None => 1,
                Some(Value::Null) => {
                    return Err(TypeError::new(
                        NULL_VALUE_NOT_ALLOWED,
                        "initial position must not be null",
                    ));
                }
                Some(_) => n(2)?,
            };
            let from = usize::try_from(start.max(1) - 1).unwrap_or(usize::MAX);
            elems
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, e)| **e == target)
                .map_or(Value::Null, |(i, _)| i4(i + 1))
        }
        ArrayRemove => {
            let Some(Value::Array(arr)) = a(0) else {
                return Ok(Value::Null);
            };
            if arr.dims.len() > 1 {
                return Err(TypeError::new(
                    codes::FEATURE_NOT_SUPPORTED,
                    "removing elements from multidimensional arrays is not supported",
                ));
            }
            let target = a(1).cloned().unwrap_or(Value::Null);
            let kept: Vec<Value> = arr
                .elements
                .iter()
                .filter(|e| **e != target)
                .cloned()
                .collect();
            if kept.len() == arr.elements.len() {
                return Ok(Value::Array(arr.clone()));
            }
            // The lower bound stays (PostgreSQL's array_replace_internal).
            let lower = arr.dims.first().map_or(1, |d| d.lower);
            let len = kept.len();
            if len == 0 {
                Value::array(arr.element_type.clone(), Vec::new())
            } else {
                Value::array_with_dims(
                    arr.element_type.clone(),
                    kept,
                    vec![basalt_common::types::value::ArrayDim { lower, len }],
                )
                .ok_or_else(|| wrong_args(f))?
            }
        }
        TextCat => Value::Text(format!("{}{}", t(0)?, t(1)?)),
        TextAnyCat | AnyTextCat => {
            let (l, r) = match (a(0), a(1)) {
                (Some(l), Some(r)) => (as_text(l, tctx)?, as_text(r, tctx)?),
                _ => return Err(wrong_args(f)),
            };
            match (l, r) {
                (Some(l), Some(r)) => Value::Text(l + &r),
                _ => Value::Null,
            }
        }
        ByteaCat => match (a(0), a(1)) {
            (Some(Value::Bytea(x)), Some(Value::Bytea(y))) => {
                let mut v = x.clone();
                v.extend_from_slice(y);
                Value::Bytea(v)
            }
            _ => return Err(wrong_args(f)),
        },
        Like | NotLike | ILike | NotILike => {
            let m = match (a(0), a(1)) {
                (Some(Value::Bytea(x)), Some(Value::Bytea(y))) => bytea_like(x, y)?,
                _ if matches!(f, ILike | NotILike) => ilike(t(0)?, t(1)?)?,
                _ => like(t(0)?, t(1)?)?,
            };
            Value::Bool(m == matches!(f, Like | ILike))
        }
        LikeEscape => Value::Text(like_escape(t(0)?, t(1)?)?),
        RegexMatch | RegexIMatch | NotRegexMatch | NotRegexIMatch => {
            let icase = matches!(f, RegexIMatch | NotRegexIMatch);
            let m = regex_is_match(t(0)?, t(1)?, icase)?;
            Value::Bool(m == matches!(f, RegexMatch | RegexIMatch))
        }
        SimilarToEscape => {
            let esc = if args.len() > 1 { Some(t(1)?) } else { None };
            Value::Text(similar_to_regex(t(0)?, esc)?)
        }
    })
}

/// PostgreSQL's "invalid value for parameter" error of the regexp_* functions.
fn invalid_param(what: &str, v: i64) -> TypeError {
    TypeError::new(
        codes::INVALID_PARAMETER_VALUE,
        format!("invalid value for parameter \"{what}\": {v}"),
    )
}

/// The `start`, `N`, `endoption` (regexp_instr) and `subexpr` arguments the regexp_*
/// functions share, checked in PostgreSQL's order.
fn check_regexp_params(start: i64, nth: i64, endopt: Option<i64>, sub: i64) -> TypeResult<()> {
    if start < 1 {
        return Err(invalid_param("start", start));
    }
    if nth < 1 {
        return Err(invalid_param("n", nth));
    }
    if let Some(e) = endopt
        && e != 0
        && e != 1
    {
        return Err(invalid_param("endoption", e));
    }
    if sub < 0 {
        return Err(invalid_param("subexpr", sub));
    }
    Ok(())
}

/// `pg_size_pretty`: bytes below 10 kB, then each unit while the value stays below 20 of
/// the next (PostgreSQL 15's table of units), halves rounded away from zero.
/// `exact` is the numeric's own text, printed when the value stays in bytes.
fn size_pretty(bytes: i128, exact: Option<&str>) -> String {
    // (name, limit, half-rounded, bits of the unit)
    const UNITS: [(&str, i128, bool, u32); 6] = [
        ("bytes", 10 * 1024, false, 0),
        ("kB", 20 * 1024 - 1, true, 10),
        ("MB", 20 * 1024 - 1, true, 20),
        ("GB", 20 * 1024 - 1, true, 30),
        ("TB", 20 * 1024 - 1, true, 40),
        ("PB", 20 * 1024 - 1, true, 50),
    ];
    let half_rounded = |x: i128| (x + if x < 0 { -1 } else { 1 }) / 2;
    let mut size = bytes;
    for (i, (name, limit, round, bits)) in UNITS.iter().enumerate() {
        let next = UNITS.get(i + 1);
        if next.is_none() || size.unsigned_abs() < limit.unsigned_abs() {
            if *round {
                size = half_rounded(size);
            }
            return match exact {
                Some(text) if i == 0 => format!("{text} {name}"),
                _ => format!("{size} {name}"),
            };
        }
        if let Some((_, _, next_round, next_bits)) = next {
            let shift = next_bits - bits - u32::from(*next_round) + u32::from(*round);
            size /= 1i128 << shift;
        }
    }
    format!("{size} bytes")
}
