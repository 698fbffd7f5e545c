//! Row and key encoding.
//!
//! # Keys
//!
//! - table row: `t` + table OID (4 bytes, big-endian) + primary-key values in key encoding
//!   ([`basalt_common::keycode`]), or + a hidden 8-byte row id for tables without a primary
//!   key;
//! - index entry: `i` + index OID + key values (with the index's sort orders) + the row's key
//!   suffix (everything after `t` + OID). Unique indexes also store entries this way; their
//!   uniqueness check scans the prefix `i` + OID + key values.
//!
//! # Row values
//!
//! A row is a sequence of self-describing values: one tag byte per value and a payload (fixed
//! width for fixed-width types, a varint length and bytes otherwise). `integer` and `bigint`
//! values of small magnitude (most keys, counters and codes) are written as zigzag varints
//! under their own tags (a 1M-row table of ids and small numbers takes a fifth less in the
//! write buffer, the commit log and the data file); the fixed-width tags stay readable, and
//! large values still use them. The format carries no
//! column names or types, so a row decodes without the catalog; columns are positional and
//! `ALTER TABLE` rewrites rows whose shape it changes. Decoding never panics on damaged input:
//! it returns an error (XX001).

use basalt_common::keycode::SortOrder;
use basalt_common::types::{
    DataType, EnumType, EnumValue, Interval, Value, json::parse_jsonb, numeric::Numeric,
};

use crate::error::SqlError;

/// Key prefix of table rows.
pub const TABLE_PREFIX: u8 = b't';
/// Key prefix of index entries.
pub const INDEX_PREFIX: u8 = b'i';

/// `t` + table OID.
pub fn table_prefix(table: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(16);
    push_table_prefix(&mut k, table);
    k
}

/// Appends [`table_prefix`]`(table)` to `key`.
pub fn push_table_prefix(key: &mut Vec<u8>, table: u32) {
    key.push(TABLE_PREFIX);
    key.extend_from_slice(&table.to_be_bytes());
}

/// `i` + index OID.
pub fn index_prefix(index: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(24);
    k.push(INDEX_PREFIX);
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// Appends values in key encoding.
pub fn push_key_values(
    key: &mut Vec<u8>,
    values: &[&Value],
    desc: &[bool],
) -> Result<(), SqlError> {
    for (i, v) in values.iter().enumerate() {
        let order = if desc.get(i).copied().unwrap_or(false) {
            SortOrder::DESC
        } else {
            SortOrder::ASC
        };
        basalt_common::types::key::encode_value_into(key, v, order)?;
    }
    Ok(())
}

/// The key suffix (after `t` + OID) of a row keyed by a hidden row id.
pub fn row_id_suffix(id: u64) -> Vec<u8> {
    id.to_be_bytes().to_vec()
}

fn damaged(what: &str) -> SqlError {
    SqlError::new("XX001", format!("damaged row: {what}"))
}

const T_NULL: u8 = 0;
const T_FALSE: u8 = 1;
const T_TRUE: u8 = 2;
const T_INT2: u8 = 3;
const T_INT4: u8 = 4;
const T_INT8: u8 = 5;
const T_FLOAT4: u8 = 6;
const T_FLOAT8: u8 = 7;
const T_NUMERIC: u8 = 8;
const T_TEXT: u8 = 9;
const T_BPCHAR: u8 = 10;
const T_BYTEA: u8 = 11;
const T_DATE: u8 = 12;
const T_TIME: u8 = 13;
const T_TIMESTAMP: u8 = 14;
const T_TIMESTAMPTZ: u8 = 15;
const T_INTERVAL: u8 = 16;
const T_UUID: u8 = 17;
const T_JSON: u8 = 18;
const T_JSONB: u8 = 19;
const T_ARRAY: u8 = 20;
const T_ARRAY_DIMS: u8 = 21;
/// A composite value: field count, then each field's name and value.
const T_RECORD: u8 = 22;
/// An OID alias value: kind name, OID, name.
const T_REG: u8 = 23;
/// A jsonpath: its canonical text.
const T_JSONPATH: u8 = 24;
/// A `"char"`: one byte.
const T_CHAR: u8 = 25;
/// An `int2vector` / `oidvector`: element type name, count, elements.
const T_VECTOR: u8 = 26;
/// An enum value: type OID, sort order, label.
const T_ENUM: u8 = 27;
/// `timetz`: the time (i64) and the offset east of UTC (i32), little-endian.
const T_TIMETZ: u8 = 28;
/// `integer` as a zigzag varint (written when that is shorter than four bytes).
const T_INT4_V: u8 = 29;
/// `bigint` as a zigzag varint (written when that is shorter than eight bytes).
const T_INT8_V: u8 = 30;
/// `oid`: 4 bytes, little-endian, unsigned.
const T_OID: u8 = 31;
/// How an array of an enum type names its element type (the OID follows).
const ENUM_ELEMENT: &str = "enum ";

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let b = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_len(out, b.len());
    out.extend_from_slice(b);
}

/// Encodes a row.
pub fn encode_row(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_row_into(&mut out, values);
    out
}

/// [`encode_row`] appended to `out`.
pub fn encode_row_into(out: &mut Vec<u8>, values: &[Value]) {
    // Sized up front: growing the buffer costs more than the estimate.
    let size: usize = values
        .iter()
        .map(|v| match v {
            Value::Text(s) | Value::Bpchar(s) | Value::Json(s) => s.len() + 6,
            Value::Bytea(b) => b.len() + 6,
            Value::Array(_) | Value::Record(_) | Value::Jsonb(_) => 64,
            _ => 17,
        })
        .sum();
    out.reserve(size + 4);
    put_len(out, values.len());
    for v in values {
        encode_value(out, v);
    }
}

fn encode_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(T_NULL),
        Value::Bool(false) => out.push(T_FALSE),
        Value::Bool(true) => out.push(T_TRUE),
        Value::Int2(x) => {
            out.push(T_INT2);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Int4(x) => {
            let z = ((x << 1) ^ (x >> 31)) as u32;
            if z < 1 << 21 {
                out.push(T_INT4_V);
                put_len(out, z as usize);
            } else {
                out.push(T_INT4);
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        Value::Int8(x) => {
            let z = ((x << 1) ^ (x >> 63)) as u64;
            if z < 1 << 49 {
                out.push(T_INT8_V);
                put_len(out, z as usize);
            } else {
                out.push(T_INT8);
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        Value::Float4(x) => {
            out.push(T_FLOAT4);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Float8(x) => {
            out.push(T_FLOAT8);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Numeric(n) => {
            out.push(T_NUMERIC);
            put_bytes(out, n.to_text().as_bytes());
        }
        Value::Text(s) => {
            out.push(T_TEXT);
            put_bytes(out, s.as_bytes());
        }
        Value::Bpchar(s) => {
            out.push(T_BPCHAR);
            put_bytes(out, s.as_bytes());
        }
        Value::Bytea(b) => {
            out.push(T_BYTEA);
            put_bytes(out, b);
        }
        Value::Date(d) => {
            out.push(T_DATE);
            out.extend_from_slice(&d.to_le_bytes());
        }
        Value::Time(t) => {
            out.push(T_TIME);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::TimeTz(t, east) => {
            out.push(T_TIMETZ);
            out.extend_from_slice(&t.to_le_bytes());
            out.extend_from_slice(&east.to_le_bytes());
        }
        Value::Timestamp(t) => {
            out.push(T_TIMESTAMP);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::Timestamptz(t) => {
            out.push(T_TIMESTAMPTZ);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::Interval(i) => {
            out.push(T_INTERVAL);
            out.extend_from_slice(&i.months.to_le_bytes());
            out.extend_from_slice(&i.days.to_le_bytes());
            out.extend_from_slice(&i.micros.to_le_bytes());
        }
        Value::Uuid(u) => {
            out.push(T_UUID);
            out.extend_from_slice(u);
        }
        Value::Json(s) => {
            out.push(T_JSON);
            put_bytes(out, s.as_bytes());
        }
        Value::Jsonb(j) => {
            out.push(T_JSONB);
            put_bytes(out, j.to_text().as_bytes());
        }
        Value::Char(c) => {
            out.push(T_CHAR);
            out.push(*c);
        }
        Value::Array(a) if a.vector => {
            out.push(T_VECTOR);
            put_bytes(out, a.element_type.format_type().as_bytes());
            put_len(out, a.elements.len());
            for e in &a.elements {
                encode_value(out, e);
            }
        }
        Value::Array(a) => {
            if a.is_plain() {
                out.push(T_ARRAY);
            } else {
                out.push(T_ARRAY_DIMS);
                put_len(out, a.dims.len());
                for d in &a.dims {
                    out.extend_from_slice(&d.lower.to_le_bytes());
                    put_len(out, d.len);
                }
            }
            // A composite element type is kept as `record` (its values carry their names).
            let elem = match &a.element_type {
                DataType::Record(_) => "record".to_string(),
                DataType::Enum(e) => format!("{ENUM_ELEMENT}{}", e.oid),
                t => t.format_type(),
            };
            put_bytes(out, elem.as_bytes());
            put_len(out, a.elements.len());
            for e in &a.elements {
                encode_value(out, e);
            }
        }
        Value::Record(r) => {
            out.push(T_RECORD);
            put_len(out, r.fields.len());
            for (n, f) in r.names.iter().zip(&r.fields) {
                put_bytes(out, n.as_bytes());
                encode_value(out, f);
            }
        }
        // Tables never have columns of these types (CREATE TABLE refuses them), so the name
        // kept beside the OID cannot go stale across statements.
        Value::JsonPath(p) => {
            out.push(T_JSONPATH);
            put_bytes(out, p.to_text().as_bytes());
        }
        Value::Enum(e) => {
            out.push(T_ENUM);
            out.extend_from_slice(&e.type_oid.to_le_bytes());
            out.extend_from_slice(&e.sort.to_le_bytes());
            put_bytes(out, e.label.as_bytes());
        }
        Value::Oid(o) => {
            out.push(T_OID);
            out.extend_from_slice(&o.to_le_bytes());
        }
        Value::Reg(k, o, name) => {
            out.push(T_REG);
            put_bytes(out, k.name().as_bytes());
            out.extend_from_slice(&o.to_le_bytes());
            put_bytes(out, name.as_bytes());
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SqlError> {
        let end = self.pos.checked_add(n).ok_or_else(|| damaged("length"))?;
        let s = self
            .b
            .get(self.pos..end)
            .ok_or_else(|| damaged("truncated"))?;
        self.pos = end;
        Ok(s)
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N], SqlError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn len(&mut self) -> Result<usize, SqlError> {
        let mut n: usize = 0;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            n |= usize::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(damaged("length"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], SqlError> {
        let n = self.len()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, SqlError> {
        let b = self.bytes()?;
        std::str::from_utf8(b)
            .map(str::to_string)
            .map_err(|_| damaged("invalid UTF-8"))
    }

    fn value(&mut self, depth: u32) -> Result<Value, SqlError> {
        let tag = self.take(1)?[0];
        Ok(match tag {
            T_NULL => Value::Null,
            T_FALSE => Value::Bool(false),
            T_TRUE => Value::Bool(true),
            T_INT2 => Value::Int2(i16::from_le_bytes(self.arr()?)),
            T_INT4 => Value::Int4(i32::from_le_bytes(self.arr()?)),
            T_INT8 => Value::Int8(i64::from_le_bytes(self.arr()?)),
            T_INT4_V => {
                let z = u32::try_from(self.len()?).map_err(|_| damaged("integer"))?;
                Value::Int4(((z >> 1) as i32) ^ -((z & 1) as i32))
            }
            T_INT8_V => {
                let z = self.len()? as u64;
                Value::Int8(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            T_FLOAT4 => Value::Float4(f32::from_le_bytes(self.arr()?)),
            T_FLOAT8 => Value::Float8(f64::from_le_bytes(self.arr()?)),
            T_NUMERIC => {
                Value::Numeric(Numeric::parse(&self.string()?).map_err(|_| damaged("numeric"))?)
            }
            T_TEXT => Value::Text(self.string()?),
            T_BPCHAR => Value::Bpchar(self.string()?),
            T_BYTEA => Value::Bytea(self.bytes()?.to_vec()),
            T_DATE => Value::Date(i32::from_le_bytes(self.arr()?)),
            T_TIME => Value::Time(i64::from_le_bytes(self.arr()?)),
            T_TIMETZ => {
                let t = i64::from_le_bytes(self.arr()?);
                Value::TimeTz(t, i32::from_le_bytes(self.arr()?))
            }
            T_TIMESTAMP => Value::Timestamp(i64::from_le_bytes(self.arr()?)),
            T_TIMESTAMPTZ => Value::Timestamptz(i64::from_le_bytes(self.arr()?)),
            T_INTERVAL => {
                let months = i32::from_le_bytes(self.arr()?);
                let days = i32::from_le_bytes(self.arr()?);
                let micros = i64::from_le_bytes(self.arr()?);
                Value::Interval(Interval::new(months, days, micros))
            }
            T_UUID => Value::Uuid(self.arr()?),
            T_JSON => Value::Json(self.string()?),
            T_JSONB => Value::Jsonb(parse_jsonb(&self.string()?).map_err(|_| damaged("jsonb"))?),
            T_ARRAY | T_ARRAY_DIMS => {
                if depth > 4 {
                    return Err(damaged("nesting"));
                }
                let mut dims = Vec::new();
                if tag == T_ARRAY_DIMS {
                    let n = self.len()?;
                    if n > basalt_common::types::MAX_ARRAY_DIMS {
                        return Err(damaged("array dimensions"));
                    }
                    for _ in 0..n {
                        let lower = i32::from_le_bytes(self.arr()?);
                        dims.push(basalt_common::types::ArrayDim {
                            lower,
                            len: self.len()?,
                        });
                    }
                }
                let name = self.string()?;
                let ty = match name.strip_prefix(ENUM_ELEMENT) {
                    Some(oid) => DataType::Enum(std::sync::Arc::new(EnumType::by_oid(
                        oid.parse().map_err(|_| damaged("array type"))?,
                    ))),
                    None => DataType::parse(&name).map_err(|_| damaged("array type"))?,
                };
                let n = self.len()?;
                let mut elements = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    elements.push(self.value(depth + 1)?);
                }
                if tag == T_ARRAY {
                    Value::array(ty, elements)
                } else {
                    Value::array_with_dims(ty, elements, dims)
                        .ok_or_else(|| damaged("array dimensions"))?
                }
            }
            T_CHAR => Value::Char(self.take(1)?[0]),
            T_VECTOR => {
                let ty = DataType::parse(&self.string()?).map_err(|_| damaged("vector type"))?;
                let n = self.len()?;
                let mut elements = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    elements.push(self.value(depth + 1)?);
                }
                if ty == DataType::Int8 {
                    // An oidvector written while its elements were bigints.
                    let oids = elements
                        .into_iter()
                        .map(|e| match e {
                            Value::Int8(o) => u32::try_from(o)
                                .map(Value::Oid)
                                .map_err(|_| damaged("oidvector")),
                            _ => Err(damaged("oidvector")),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    Value::vector(DataType::Oid, oids)
                } else {
                    Value::vector(ty, elements)
                }
            }
            T_JSONPATH => Value::JsonPath(std::sync::Arc::new(
                basalt_common::types::jsonpath::parse_jsonpath(&self.string()?)
                    .map_err(|_| damaged("jsonpath"))?,
            )),
            T_RECORD => {
                if depth > 4 {
                    return Err(damaged("nesting"));
                }
                let n = self.len()?;
                let mut names = Vec::with_capacity(n.min(1024));
                let mut fields = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    names.push(self.string()?);
                    fields.push(self.value(depth + 1)?);
                }
                Value::record(names.into(), fields)
            }
            T_OID => Value::Oid(u32::from_le_bytes(self.arr()?)),
            T_REG => {
                let Ok(DataType::Reg(k)) = DataType::from_name(&self.string()?, &[]) else {
                    return Err(damaged("oid type"));
                };
                let o = u32::from_le_bytes(self.arr()?);
                Value::Reg(k, o, self.string()?.into())
            }
            T_ENUM => {
                let type_oid = u32::from_le_bytes(self.arr()?);
                let sort = f32::from_le_bytes(self.arr()?);
                Value::Enum(EnumValue {
                    type_oid,
                    sort,
                    label: self.string()?.into(),
                })
            }
            _ => return Err(damaged("unknown tag")),
        })
    }
}

/// Decodes a row.
pub fn decode_row(bytes: &[u8]) -> Result<Vec<Value>, SqlError> {
    let mut r = Reader { b: bytes, pos: 0 };
    let n = r.len()?;
    let mut out = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        out.push(r.value(0)?);
    }
    if r.pos != bytes.len() {
        return Err(damaged("trailing bytes"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_take_varints_when_shorter_and_fixed_tags_still_read() {
        let ints4 = [
            0,
            1,
            -1,
            63,
            -64,
            1 << 20,
            -(1 << 20),
            (1 << 20) + 1,
            i32::MAX,
            i32::MIN,
        ];
        let ints8 = [
            0,
            -1,
            1 << 40,
            -(1 << 48),
            (1 << 48) + 7,
            i64::MAX,
            i64::MIN,
        ];
        let row: Vec<Value> = ints4
            .iter()
            .map(|&x| Value::Int4(x))
            .chain(ints8.iter().map(|&x| Value::Int8(x)))
            .collect();
        let bytes = encode_row(&row);
        assert_eq!(decode_row(&bytes).unwrap(), row);
        // Small values take the varint tags and fewer bytes; large ones the fixed tags.
        assert_eq!(encode_row(&[Value::Int4(999)]), [1, T_INT4_V, 0xce, 0x0f]);
        assert_eq!(encode_row(&[Value::Int8(-1)]), [1, T_INT8_V, 1]);
        assert_eq!(encode_row(&[Value::Int4(i32::MIN)])[1], T_INT4);
        assert_eq!(encode_row(&[Value::Int8(i64::MAX)])[1], T_INT8);
        // Rows written before the varint tags existed.
        let mut old = vec![2, T_INT4];
        old.extend_from_slice(&5i32.to_le_bytes());
        old.push(T_INT8);
        old.extend_from_slice(&(-6i64).to_le_bytes());
        assert_eq!(decode_row(&old).unwrap(), [Value::Int4(5), Value::Int8(-6)]);
        // A varint integer past 32 bits is damage, not a wrapped value.
        assert!(decode_row(&[1, T_INT4_V, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
        for cut in 0..bytes.len() {
            assert!(decode_row(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn rows_round_trip_and_damage_is_an_error() {
        let row = vec![
            Value::Null,
            Value::Bool(true),
            Value::Int4(-7),
            Value::Int8(i64::MAX),
            Value::Float8(1.5),
            Value::Numeric(Numeric::parse("12.340").unwrap()),
            Value::Text("héllo".into()),
            Value::Bpchar("ab  ".into()),
            Value::Bytea(vec![0, 1, 255]),
            Value::Date(-3),
            Value::Interval(Interval::new(1, 2, 3)),
            Value::Uuid([7; 16]),
            Value::Jsonb(parse_jsonb(r#"{"a": [1, null]}"#).unwrap()),
            Value::array(DataType::Int4, vec![Value::Int4(1), Value::Null]),
            Value::record(
                vec!["a".to_string(), "b".to_string()].into(),
                vec![Value::Int4(1), Value::Null],
            ),
            Value::array(
                DataType::Enum(std::sync::Arc::new(EnumType::by_oid(16400))),
                vec![Value::Enum(EnumValue {
                    type_oid: 16400,
                    sort: 1.5,
                    label: "ok".into(),
                })],
            ),
        ];
        let bytes = encode_row(&row);
        let back = decode_row(&bytes).unwrap();
        assert_eq!(back, row);
        assert_eq!(
            format!("{:?}", back[5]),
            format!("{:?}", row[5]),
            "numeric keeps its scale"
        );
        for cut in 0..bytes.len() {
            assert!(decode_row(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = bytes.clone();
        bad[1] = 200;
        assert!(decode_row(&bad).is_err());
    }

    #[test]
    fn oids_and_old_bigint_oidvectors() {
        let row = vec![
            Value::Oid(u32::MAX),
            Value::array(DataType::Oid, vec![Value::Oid(1), Value::Null]),
            Value::vector(DataType::Oid, vec![Value::Oid(26)]),
        ];
        assert_eq!(decode_row(&encode_row(&row)).unwrap(), row);
        // An oidvector stored while its elements were bigints reads as oids.
        let old = encode_row(&[Value::vector(DataType::Int8, vec![Value::Int8(26)])]);
        assert_eq!(
            format!("{:?}", decode_row(&old).unwrap()),
            format!("{:?}", [Value::vector(DataType::Oid, vec![Value::Oid(26)])])
        );
    }
}
