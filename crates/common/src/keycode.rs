//! The order-preserving key codec.
//!
//! Rows and index entries live in an ordered key-value store, which compares keys as plain byte
//! strings. This module turns a composite key (a tuple of typed values, each column with its own
//! sort direction and NULL placement) into a byte string such that
//!
//! ```text
//! encode(a).cmp(&encode(b)) == order of the tuples a and b
//! ```
//!
//! so that a range scan over keys is a range scan over values, and an index declared
//! `(a DESC, b NULLS FIRST)` can be read in its declared order by a forward scan. The idea is the
//! one of FoundationDB's tuple layer and toydb's `keycode`; the format below is Basalt's own.
//!
//! # The order being encoded
//!
//! The order is PostgreSQL's default b-tree order for each type, per column:
//!
//! - `bool`: `false < true`.
//! - integers (`smallint`, `integer`, `bigint`, all carried as [`KeyValue::Int`]): numeric order.
//! - `double precision` ([`KeyValue::Float`]): numeric order with `-inf` lowest, `-0.0 = 0.0`
//!   (they encode to the same bytes, and decode as `0.0`), and every NaN equal to every other NaN
//!   and greater than every other number, `+inf` included. This is PostgreSQL's `float8` order.
//! - `text` and `bytea`: byte-wise order of the UTF-8 bytes / raw bytes, a shorter string before
//!   any longer string it is a prefix of. This is the `"C"` collation; a linguistic collation is
//!   the SQL layer's business (it would encode a collation sort key as [`KeyValue::Bytes`]).
//! - `uuid`: byte-wise order of the 16 bytes, as PostgreSQL's `uuid_cmp` (a `memcmp`).
//! - NULL: after every value in ascending order and before every value in descending order,
//!   unless the column says otherwise ([`SortOrder::nulls_first`]); PostgreSQL's
//!   `ASC NULLS LAST` and `DESC NULLS FIRST` defaults, and its explicit `NULLS FIRST` / `NULLS
//!   LAST`.
//!
//! A column normally holds one type; the SQL layer casts before encoding. Values of different
//! types in one column are still totally ordered, by type tag (`bool < integer < float < text <
//! bytes < uuid` in ascending order), so a mistake never breaks the order invariant of the store.
//!
//! # The byte format
//!
//! A composite key is the concatenation of its components; there is no header and no count.
//! Each component is either a one-byte NULL marker or a type tag followed by a payload. For a
//! descending column the tag and the payload are written bitwise inverted (every byte XOR
//! `0xFF`), which reverses their order; the NULL marker is never inverted (see below).
//!
//! | tag (ascending) | type | payload |
//! |---|---|---|
//! | `0x00` | NULL, when the column sorts NULLs first | none |
//! | `0x10` | `false` | none |
//! | `0x11` | `true` | none |
//! | `0x20` | integer | 8 bytes: big-endian two's complement with the sign bit flipped |
//! | `0x30` | float | 8 bytes: the IEEE 754 bits, transformed as described below |
//! | `0x60` | text | the UTF-8 bytes, escaped, then the terminator `0x00 0x00` |
//! | `0x70` | bytes | the raw bytes, escaped, then the terminator `0x00 0x00` |
//! | `0x80` | uuid | the 16 bytes as they are |
//! | `0xFF` | NULL, when the column sorts NULLs last | none |
//!
//! Tags sit `0x10` apart so that new types can later be slotted in between without changing the
//! bytes of existing keys: `0x40` is reserved for `numeric`, `0x50`–`0x5F` for date and time types
//! (`date`, `time`, `timestamp`, `timestamptz`, `interval`), and `0x90`–`0xEF` for anything after
//! `uuid`. A type whose values must interleave with another's (e.g. if integers and numerics
//! ever had to compare numerically within one column) would share one tag and one payload
//! format instead.
//!
//! **Integers.** Flipping the sign bit of the two's complement maps `i64::MIN..=i64::MAX`
//! monotonically onto `0..=u64::MAX`, and big-endian bytes compare like the unsigned number.
//! `0` is `0x80 00 00 00 00 00 00 00`, `-1` is `0x7F FF FF FF FF FF FF FF`.
//!
//! **Floats.** `-0.0` is first replaced by `0.0` and every NaN by the canonical quiet NaN
//! `0x7FF8_0000_0000_0000`. Then a non-negative value (sign bit clear) gets its sign bit set, and
//! a negative value has all 64 bits inverted. IEEE 754 bit patterns of non-negative values grow
//! with the value, and those of negative values shrink as the value grows, so the result, written
//! big-endian, orders `-inf < … < -0.0 = 0.0 < … < +inf < NaN`: the canonical NaN has a larger
//! bit pattern than `+inf` (`0x7FF0…`).
//!
//! **Text and bytes.** Each `0x00` byte of the value is written as `0x00 0xFF`, and the value
//! ends with `0x00 0x00`. Every other byte is written as it is. The terminator is the smallest
//! possible continuation, so a value sorts before every longer value it is a prefix of (`"a"`
//! = `61 00 00` < `61 00 FF` = `"a\0"` < `61 62 00 00` = `"ab"`), and the encoded component is
//! self-delimiting: a decoder finds its end without a length, and no encoded component is a
//! proper prefix of another. Inverted for a descending column, the terminator becomes
//! `0xFF 0xFF`, the largest continuation, which is what reversing the order requires.
//!
//! # Why NULL ordering works
//!
//! The markers `0x00` and `0xFF` are written as they are, whatever the direction. Every type tag
//! lies in `0x01..=0xFE`, and so does its inversion, so a non-NULL component of either direction
//! always starts with a byte strictly between the two markers. A NULL written as `0x00` therefore
//! sorts before every value of its column and a NULL written as `0xFF` after every value, in the
//! final byte order, which is the order the scan sees. The choice between the two is
//! [`SortOrder::nulls_first`] alone; the direction only inverts the non-NULL components. Two NULLs
//! in one column compare equal, so the next column decides, as in PostgreSQL's sort order (for
//! ordering NULLs are not distinct; uniqueness is a separate question for the SQL layer).
//!
//! # Invariants
//!
//! 1. **Order.** For tuples `a` and `b` encoded with the same [`SortOrder`]s, the byte-wise
//!    comparison of the encodings equals the tuple comparison described above, column by column.
//! 2. **Prefix-free components.** No encoded component is a proper prefix of another encoded
//!    component of the same column: NULL markers and booleans are single bytes, integers, floats
//!    and uuids have a fixed length per tag, and text and bytes end with a terminator that cannot
//!    occur inside the escaped payload. Together with (1) per component and (3), this is why
//!    concatenation preserves tuple order: the first differing component differs at a byte
//!    inside both encodings. It also means that `encode(a[..k])` is a prefix of `encode(b)`
//!    exactly when `a[..k]` equals `b[..k]`, so an equality lookup on leading columns is a prefix
//!    scan ([`prefix_end`] gives its exclusive upper bound).
//! 3. **Canonical.** Equal values have one encoding (`-0.0` and `0.0` included, all NaNs
//!    included). The decoder accepts exactly the encodings the encoder produces and rejects
//!    anything else with a [`KeyCodecError`], so `encode(decode(bytes)) == bytes` whenever
//!    decoding succeeds.
//! 4. **Total decoding.** Decoding never panics, whatever the input (truncated, corrupted or
//!    random); it returns an error.
//! 5. **Stability.** These bytes are persisted in every table and index. Changing the encoding
//!    of an existing tag is a file format change; adding a tag in a gap is not.
//!
//! # Building keys
//!
//! [`encode`] and [`decode`] handle a whole key. Upper layers usually build keys piece by piece
//! (a table or index id, then the columns, then perhaps the primary key as a suffix of an index
//! entry): [`KeyBuilder`], [`encode_into`] and [`encode_u64`] append to a buffer, and
//! [`KeyDecoder`] reads a key back one piece at a time.

use crate::SqlState;

/// NULL marker for a column that sorts NULLs first (never inverted).
const NULL_FIRST: u8 = 0x00;
/// NULL marker for a column that sorts NULLs last (never inverted).
const NULL_LAST: u8 = 0xFF;
const TAG_FALSE: u8 = 0x10;
const TAG_TRUE: u8 = 0x11;
const TAG_INT: u8 = 0x20;
const TAG_FLOAT: u8 = 0x30;
const TAG_TEXT: u8 = 0x60;
const TAG_BYTES: u8 = 0x70;
const TAG_UUID: u8 = 0x80;

/// Every NaN is encoded as this quiet NaN, so that all NaNs share one encoding.
const CANONICAL_NAN_BITS: u64 = 0x7FF8_0000_0000_0000;
const SIGN_BIT: u64 = 1 << 63;

/// A `0x00` in text or bytes starts a two-byte sequence: an escaped zero or the terminator.
const ESCAPE: u8 = 0x00;
/// Escape byte following a `0x00` that stands for a `0x00` in the value.
const ESCAPED_ZERO: u8 = 0xFF;
/// Byte following a `0x00` that ends the value.
const TERMINATOR: u8 = 0x00;

/// One typed component of a key.
///
/// Floats compare as PostgreSQL's `float8` in the key order (see the module doc); the derived
/// [`PartialEq`] is Rust's, so `Float(NAN) != Float(NAN)` here even though both encode alike.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    /// SQL NULL.
    Null,
    /// `boolean`.
    Bool(bool),
    /// `smallint`, `integer` and `bigint`.
    Int(i64),
    /// `double precision` (and `real`, widened).
    Float(f64),
    /// `text` and `varchar`, compared byte-wise (the `"C"` collation).
    Text(String),
    /// `bytea`, compared byte-wise.
    Bytes(Vec<u8>),
    /// `uuid`, compared byte-wise.
    Uuid([u8; 16]),
}

impl KeyValue {
    /// Whether this is [`KeyValue::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, KeyValue::Null)
    }
}

impl From<bool> for KeyValue {
    fn from(v: bool) -> Self {
        KeyValue::Bool(v)
    }
}

impl From<i64> for KeyValue {
    fn from(v: i64) -> Self {
        KeyValue::Int(v)
    }
}

impl From<f64> for KeyValue {
    fn from(v: f64) -> Self {
        KeyValue::Float(v)
    }
}

impl From<&str> for KeyValue {
    fn from(v: &str) -> Self {
        KeyValue::Text(v.to_owned())
    }
}

impl From<String> for KeyValue {
    fn from(v: String) -> Self {
        KeyValue::Text(v)
    }
}

impl From<Vec<u8>> for KeyValue {
    fn from(v: Vec<u8>) -> Self {
        KeyValue::Bytes(v)
    }
}

/// The sort order of one key column: direction and NULL placement, as in PostgreSQL's
/// `ASC | DESC [NULLS FIRST | NULLS LAST]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortOrder {
    /// Descending: larger values first.
    pub desc: bool,
    /// NULLs before every value (in the order the key is scanned forward), instead of after.
    pub nulls_first: bool,
}

impl SortOrder {
    /// `ASC` (PostgreSQL's default): ascending, NULLs last.
    pub const ASC: SortOrder = SortOrder {
        desc: false,
        nulls_first: false,
    };
    /// `DESC`: descending, NULLs first (PostgreSQL's default for `DESC`).
    pub const DESC: SortOrder = SortOrder {
        desc: true,
        nulls_first: true,
    };

    /// The order written in SQL as `ASC`/`DESC` with an optional `NULLS FIRST` (`Some(true)`) or
    /// `NULLS LAST` (`Some(false)`); without one, NULLs go last for `ASC` and first for `DESC`.
    pub const fn from_sql(desc: bool, nulls_first: Option<bool>) -> SortOrder {
        let nulls_first = match nulls_first {
            Some(first) => first,
            None => desc,
        };
        SortOrder { desc, nulls_first }
    }

    /// This order with the given NULL placement.
    pub const fn with_nulls_first(self, nulls_first: bool) -> SortOrder {
        SortOrder {
            desc: self.desc,
            nulls_first,
        }
    }

    /// The byte every payload byte is XORed with.
    const fn mask(self) -> u8 {
        if self.desc { 0xFF } else { 0x00 }
    }

    const fn null_marker(self) -> u8 {
        if self.nulls_first {
            NULL_FIRST
        } else {
            NULL_LAST
        }
    }
}

impl Default for SortOrder {
    /// [`SortOrder::ASC`].
    fn default() -> Self {
        SortOrder::ASC
    }
}

/// Why a key could not be encoded or decoded.
///
/// Offsets count bytes from the start of the slice given to the decoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyCodecError {
    /// The key ended inside a component, or before every expected component was read.
    #[error("key truncated: component or fixed-width field at byte {offset} is incomplete")]
    Truncated {
        /// Where the incomplete component starts.
        offset: usize,
    },
    /// A byte that is neither this column's NULL marker nor a known type tag.
    #[error("invalid key type tag {tag:#04x} at byte {offset}")]
    InvalidTag {
        /// The byte as stored (not un-inverted).
        tag: u8,
        /// Where it is.
        offset: usize,
    },
    /// A `0x00` inside text or bytes followed by something other than an escape or terminator.
    #[error("invalid escape byte {byte:#04x} at byte {offset} in a text or bytes key component")]
    InvalidEscape {
        /// The byte after the zero, un-inverted.
        byte: u8,
        /// Where it is.
        offset: usize,
    },
    /// A text component whose bytes are not UTF-8.
    #[error("text key component at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Where the component starts.
        offset: usize,
    },
    /// A float encoding the encoder never produces (`-0.0`, or a NaN other than the canonical
    /// one).
    #[error("non-canonical float key component at byte {offset}")]
    NonCanonicalFloat {
        /// Where the component starts.
        offset: usize,
    },
    /// Bytes left over after the last expected component.
    #[error("{count} unexpected trailing bytes in key at byte {offset}")]
    TrailingBytes {
        /// Where they start.
        offset: usize,
        /// How many.
        count: usize,
    },
    /// [`encode`] was given a different number of values and sort orders (a caller bug).
    #[error("key has {values} values but {orders} sort orders")]
    ArityMismatch {
        /// Number of values.
        values: usize,
        /// Number of sort orders.
        orders: usize,
    },
}

impl KeyCodecError {
    /// The SQLSTATE to report: a key that does not decode is corrupted data (`XX001`); a
    /// mismatched encode call is an internal error (`XX000`).
    pub fn sqlstate(&self) -> SqlState {
        match self {
            KeyCodecError::ArityMismatch { .. } => SqlState::INTERNAL_ERROR,
            _ => SqlState::DATA_CORRUPTED,
        }
    }
}

/// Appends the encoding of one key component to `buf`.
pub fn encode_into(buf: &mut Vec<u8>, value: &KeyValue, order: SortOrder) {
    let m = order.mask();
    match value {
        KeyValue::Null => buf.push(order.null_marker()),
        KeyValue::Bool(false) => buf.push(TAG_FALSE ^ m),
        KeyValue::Bool(true) => buf.push(TAG_TRUE ^ m),
        KeyValue::Int(v) => {
            buf.push(TAG_INT ^ m);
            push_masked(buf, &((*v as u64) ^ SIGN_BIT).to_be_bytes(), m);
        }
        KeyValue::Float(v) => {
            buf.push(TAG_FLOAT ^ m);
            push_masked(buf, &float_to_key_bits(*v).to_be_bytes(), m);
        }
        KeyValue::Text(s) => {
            buf.push(TAG_TEXT ^ m);
            push_escaped(buf, s.as_bytes(), m);
        }
        KeyValue::Bytes(b) => {
            buf.push(TAG_BYTES ^ m);
            push_escaped(buf, b, m);
        }
        KeyValue::Uuid(u) => {
            buf.push(TAG_UUID ^ m);
            push_masked(buf, u, m);
        }
    }
}

/// [`encode_into`] of `KeyValue::Int(v)`.
pub fn encode_int_into(buf: &mut Vec<u8>, v: i64, order: SortOrder) {
    let m = order.mask();
    buf.push(TAG_INT ^ m);
    push_masked(buf, &((v as u64) ^ SIGN_BIT).to_be_bytes(), m);
}

/// [`encode_into`] of `KeyValue::Text`, from a borrowed string.
pub fn encode_text_into(buf: &mut Vec<u8>, s: &str, order: SortOrder) {
    let m = order.mask();
    buf.push(TAG_TEXT ^ m);
    push_escaped(buf, s.as_bytes(), m);
}

/// Encodes a whole composite key: `values[i]` in `orders[i]`.
///
/// # Errors
/// [`KeyCodecError::ArityMismatch`] if the slices differ in length.
pub fn encode(values: &[KeyValue], orders: &[SortOrder]) -> Result<Vec<u8>, KeyCodecError> {
    if values.len() != orders.len() {
        return Err(KeyCodecError::ArityMismatch {
            values: values.len(),
            orders: orders.len(),
        });
    }
    let mut buf = Vec::new();
    for (value, order) in values.iter().zip(orders) {
        encode_into(&mut buf, value, *order);
    }
    Ok(buf)
}

/// Decodes a whole composite key of `orders.len()` components; the key must end exactly after
/// the last one.
///
/// # Errors
/// Any [`KeyCodecError`] other than `ArityMismatch`, if `bytes` is not an encoding produced by
/// [`encode`] with these orders. Never panics.
pub fn decode(bytes: &[u8], orders: &[SortOrder]) -> Result<Vec<KeyValue>, KeyCodecError> {
    let mut decoder = KeyDecoder::new(bytes);
    let mut values = Vec::with_capacity(orders.len());
    for order in orders {
        values.push(decoder.next_value(*order)?);
    }
    decoder.finish()?;
    Ok(values)
}

/// Appends `v` as 8 big-endian bytes, for internal ids (table, index, sequence numbers) that
/// prefix keys. Unsigned big-endian bytes sort like the numbers.
pub fn encode_u64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_be_bytes());
}

/// Reads a `u64` written by [`encode_u64`] from the start of `bytes`; returns it and the rest.
///
/// # Errors
/// [`KeyCodecError::Truncated`] if fewer than 8 bytes are left.
pub fn decode_u64(bytes: &[u8]) -> Result<(u64, &[u8]), KeyCodecError> {
    let mut decoder = KeyDecoder::new(bytes);
    let v = decoder.next_u64()?;
    Ok((v, decoder.remaining()))
}

/// The exclusive upper bound of all byte strings that start with `prefix`: the smallest string
/// greater than all of them. `None` when there is none (`prefix` empty or all `0xFF`), meaning
/// the range is unbounded above.
///
/// Keys starting with `prefix` are exactly those in `[prefix, prefix_end(prefix))`. Because
/// encoded components are prefix-free, `prefix_end(encode(v))` is also the first key whose
/// leading component sorts after `v`, the start of a scan for `column > v`.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Builds a key piece by piece: a raw prefix (e.g. a keyspace byte), fixed-width ids, then typed
/// components.
///
/// ```
/// use basalt_common::keycode::{KeyBuilder, KeyValue, SortOrder, prefix_end};
///
/// // Table 7, rows keyed by (name ASC, id DESC).
/// let mut prefix = KeyBuilder::new();
/// prefix.push_u64(7).push(&KeyValue::Text("bob".into()), SortOrder::ASC);
/// let mut row = prefix.clone();
/// row.push(&KeyValue::Int(42), SortOrder::DESC);
///
/// // Every row named "bob" lies in [prefix, prefix_end(prefix)).
/// let end = prefix_end(prefix.as_bytes()).unwrap();
/// assert!(prefix.as_bytes() <= row.as_bytes() && row.as_bytes() < end.as_slice());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyBuilder {
    buf: Vec<u8>,
}

impl KeyBuilder {
    /// An empty key.
    pub fn new() -> Self {
        Self::default()
    }

    /// A key starting with the raw bytes `prefix`.
    pub fn with_prefix(prefix: &[u8]) -> Self {
        KeyBuilder {
            buf: prefix.to_vec(),
        }
    }

    /// Appends raw bytes (not a typed component: the caller keeps the result prefix-free).
    pub fn push_raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// Appends a fixed-width id (see [`encode_u64`]).
    pub fn push_u64(&mut self, v: u64) -> &mut Self {
        encode_u64(&mut self.buf, v);
        self
    }

    /// Appends a typed component (see [`encode_into`]).
    pub fn push(&mut self, value: &KeyValue, order: SortOrder) -> &mut Self {
        encode_into(&mut self.buf, value, order);
        self
    }

    /// The key so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The key.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads a key back piece by piece, in the order it was built. Never panics; every method
/// returns an error on malformed input, with offsets relative to the slice given to
/// [`KeyDecoder::new`].
#[derive(Debug, Clone)]
pub struct KeyDecoder<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> KeyDecoder<'a> {
    /// A decoder at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        KeyDecoder { input, pos: 0 }
    }

    /// How many bytes have been consumed.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not yet consumed.
    pub fn remaining(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// Whether every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining().is_empty()
    }

    /// Succeeds if every byte has been consumed.
    ///
    /// # Errors
    /// [`KeyCodecError::TrailingBytes`] otherwise.
    pub fn finish(&self) -> Result<(), KeyCodecError> {
        match self.remaining().len() {
            0 => Ok(()),
            count => Err(KeyCodecError::TrailingBytes {
                offset: self.pos,
                count,
            }),
        }
    }

    /// Skips `n` raw bytes (e.g. a prefix written with [`KeyBuilder::push_raw`]) and returns
    /// them.
    ///
    /// # Errors
    /// [`KeyCodecError::Truncated`] if fewer than `n` bytes are left.
    pub fn next_raw(&mut self, n: usize) -> Result<&'a [u8], KeyCodecError> {
        let start = self.pos;
        let bytes = self
            .remaining()
            .get(..n)
            .ok_or(KeyCodecError::Truncated { offset: start })?;
        self.pos += n;
        Ok(bytes)
    }

    /// Reads a fixed-width id written by [`encode_u64`].
    ///
    /// # Errors
    /// [`KeyCodecError::Truncated`] if fewer than 8 bytes are left.
    pub fn next_u64(&mut self) -> Result<u64, KeyCodecError> {
        let start = self.pos;
        Ok(u64::from_be_bytes(self.next_array::<8>(0, start)?))
    }

    /// Reads one typed component written with `order`.
    ///
    /// # Errors
    /// Any decoding [`KeyCodecError`] if the next bytes are not such a component; the decoder's
    /// position is then unspecified.
    pub fn next_value(&mut self, order: SortOrder) -> Result<KeyValue, KeyCodecError> {
        let start = self.pos;
        let raw = self.next_byte(start)?;
        if raw == order.null_marker() {
            return Ok(KeyValue::Null);
        }
        let m = order.mask();
        match raw ^ m {
            TAG_FALSE => Ok(KeyValue::Bool(false)),
            TAG_TRUE => Ok(KeyValue::Bool(true)),
            TAG_INT => {
                let bits = u64::from_be_bytes(self.next_array::<8>(m, start)?);
                Ok(KeyValue::Int((bits ^ SIGN_BIT) as i64))
            }
            TAG_FLOAT => {
                let bits = u64::from_be_bytes(self.next_array::<8>(m, start)?);
                float_from_key_bits(bits)
                    .map(KeyValue::Float)
                    .ok_or(KeyCodecError::NonCanonicalFloat { offset: start })
            }
            TAG_TEXT => {
                let bytes = self.next_escaped(m, start)?;
                String::from_utf8(bytes)
                    .map(KeyValue::Text)
                    .map_err(|_| KeyCodecError::InvalidUtf8 { offset: start })
            }
            TAG_BYTES => self.next_escaped(m, start).map(KeyValue::Bytes),
            TAG_UUID => self.next_array::<16>(m, start).map(KeyValue::Uuid),
            // Includes the other column setting's NULL marker: canonical keys never hold it.
            _ => Err(KeyCodecError::InvalidTag {
                tag: raw,
                offset: start,
            }),
        }
    }

    /// The next byte as stored; `start` is the offset reported if there is none.
    fn next_byte(&mut self, start: usize) -> Result<u8, KeyCodecError> {
        let b = *self
            .input
            .get(self.pos)
            .ok_or(KeyCodecError::Truncated { offset: start })?;
        self.pos += 1;
        Ok(b)
    }

    /// The next `N` bytes, each XORed with `m`.
    fn next_array<const N: usize>(
        &mut self,
        m: u8,
        start: usize,
    ) -> Result<[u8; N], KeyCodecError> {
        let bytes = self
            .remaining()
            .get(..N)
            .ok_or(KeyCodecError::Truncated { offset: start })?;
        let mut out = [0u8; N];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b ^ m;
        }
        self.pos += N;
        Ok(out)
    }

    /// An escaped, terminated byte string, un-inverted with `m`.
    fn next_escaped(&mut self, m: u8, start: usize) -> Result<Vec<u8>, KeyCodecError> {
        let mut out = Vec::new();
        loop {
            let b = self.next_byte(start)? ^ m;
            if b != ESCAPE {
                out.push(b);
                continue;
            }
            let escape_at = self.pos;
            match self.next_byte(start)? ^ m {
                TERMINATOR => return Ok(out),
                ESCAPED_ZERO => out.push(ESCAPE),
                byte => {
                    return Err(KeyCodecError::InvalidEscape {
                        byte,
                        offset: escape_at,
                    });
                }
            }
        }
    }
}

fn push_masked(buf: &mut Vec<u8>, bytes: &[u8], m: u8) {
    buf.extend(bytes.iter().map(|b| b ^ m));
}

fn push_escaped(buf: &mut Vec<u8>, bytes: &[u8], m: u8) {
    for &b in bytes {
        if b == ESCAPE {
            buf.extend_from_slice(&[ESCAPE ^ m, ESCAPED_ZERO ^ m]);
        } else {
            buf.push(b ^ m);
        }
    }
    buf.extend_from_slice(&[ESCAPE ^ m, TERMINATOR ^ m]);
}

/// The ascending key bits of a float (see the module doc).
fn float_to_key_bits(v: f64) -> u64 {
    let bits = if v.is_nan() {
        CANONICAL_NAN_BITS
    } else if v == 0.0 {
        0 // -0.0 too
    } else {
        v.to_bits()
    };
    if bits & SIGN_BIT == 0 {
        bits | SIGN_BIT
    } else {
        !bits
    }
}

/// Inverse of [`float_to_key_bits`]; `None` for bits it never produces.
fn float_from_key_bits(key: u64) -> Option<f64> {
    let bits = if key & SIGN_BIT != 0 {
        key & !SIGN_BIT
    } else {
        !key
    };
    let v = f64::from_bits(bits);
    let canonical = if v.is_nan() {
        bits == CANONICAL_NAN_BITS
    } else {
        bits != SIGN_BIT
    };
    canonical.then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASC: SortOrder = SortOrder::ASC;
    const DESC: SortOrder = SortOrder::DESC;

    fn enc(v: KeyValue, o: SortOrder) -> Vec<u8> {
        let mut buf = Vec::new();
        encode_into(&mut buf, &v, o);
        buf
    }

    #[test]
    fn tags_and_their_inversions_avoid_null_markers() {
        for tag in [
            TAG_FALSE, TAG_TRUE, TAG_INT, TAG_FLOAT, TAG_TEXT, TAG_BYTES, TAG_UUID,
        ] {
            for t in [tag, !tag] {
                assert!(t != NULL_FIRST && t != NULL_LAST, "tag {t:#04x}");
            }
        }
    }

    #[test]
    fn null_markers_follow_nulls_first_not_direction() {
        assert_eq!(enc(KeyValue::Null, ASC), [0xFF]);
        assert_eq!(enc(KeyValue::Null, DESC), [0x00]);
        assert_eq!(enc(KeyValue::Null, ASC.with_nulls_first(true)), [0x00]);
        assert_eq!(enc(KeyValue::Null, DESC.with_nulls_first(false)), [0xFF]);
        assert_eq!(SortOrder::from_sql(false, None), ASC);
        assert_eq!(SortOrder::from_sql(true, None), DESC);
        assert_eq!(
            SortOrder::from_sql(true, Some(false)),
            SortOrder {
                desc: true,
                nulls_first: false
            }
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(enc(KeyValue::Bool(false), ASC), [0x10]);
        assert_eq!(enc(KeyValue::Bool(true), ASC), [0x11]);
        assert_eq!(enc(KeyValue::Bool(false), DESC), [0xEF]);
        assert_eq!(enc(KeyValue::Bool(true), DESC), [0xEE]);
    }

    #[test]
    fn integers_flip_the_sign_bit() {
        assert_eq!(
            enc(KeyValue::Int(0), ASC),
            [0x20, 0x80, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            enc(KeyValue::Int(-1), ASC),
            [0x20, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        assert_eq!(
            enc(KeyValue::Int(i64::MIN), ASC),
            [0x20, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            enc(KeyValue::Int(i64::MAX), ASC),
            [0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        assert_eq!(
            enc(KeyValue::Int(1), DESC),
            [0xDF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]
        );
    }

    #[test]
    fn floats_are_canonical() {
        let zero = [0x30, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(enc(KeyValue::Float(0.0), ASC), zero);
        assert_eq!(enc(KeyValue::Float(-0.0), ASC), zero);
        assert_eq!(
            enc(KeyValue::Float(1.0), ASC),
            [0x30, 0xBF, 0xF0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            enc(KeyValue::Float(-1.0), ASC),
            [0x30, 0x40, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        assert_eq!(
            enc(KeyValue::Float(f64::INFINITY), ASC),
            [0x30, 0xFF, 0xF0, 0, 0, 0, 0, 0, 0]
        );
        let nan = [0x30, 0xFF, 0xF8, 0, 0, 0, 0, 0, 0];
        assert_eq!(enc(KeyValue::Float(f64::NAN), ASC), nan);
        assert_eq!(
            enc(KeyValue::Float(f64::from_bits(0xFFF0_0000_0000_0001)), ASC),
            nan
        );
        assert!(enc(KeyValue::Float(f64::INFINITY), ASC) < nan.to_vec());
        assert!(enc(KeyValue::Float(f64::NEG_INFINITY), ASC) < enc(KeyValue::Float(f64::MIN), ASC));
    }

    #[test]
    fn text_escapes_zero_and_terminates() {
        assert_eq!(enc("".into(), ASC), [0x60, 0x00, 0x00]);
        assert_eq!(
            enc("a\0b".into(), ASC),
            [0x60, b'a', 0x00, 0xFF, b'b', 0x00, 0x00]
        );
        assert_eq!(enc("a".into(), DESC), [0x9F, !b'a', 0xFF, 0xFF]);
        assert_eq!(
            enc(KeyValue::Bytes(vec![0xFF, 0x00]), ASC),
            [0x70, 0xFF, 0x00, 0xFF, 0x00, 0x00]
        );
        // "a" < "a\0" < "ab"
        assert!(enc("a".into(), ASC) < enc("a\0".into(), ASC));
        assert!(enc("a\0".into(), ASC) < enc("ab".into(), ASC));
        assert!(enc("a".into(), DESC) > enc("a\0".into(), DESC));
    }

    #[test]
    fn uuid_is_raw_bytes() {
        let u = [7u8; 16];
        let mut want = vec![0x80];
        want.extend_from_slice(&u);
        assert_eq!(enc(KeyValue::Uuid(u), ASC), want);
    }

    #[test]
    fn composite_round_trip_and_arity() {
        let orders = [ASC, DESC, ASC.with_nulls_first(true)];
        let values = vec![
            KeyValue::Int(-5),
            KeyValue::Text("x\0".into()),
            KeyValue::Null,
        ];
        let bytes = encode(&values, &orders).unwrap();
        assert_eq!(decode(&bytes, &orders).unwrap(), values);
        assert_eq!(
            encode(&values, &orders[..2]),
            Err(KeyCodecError::ArityMismatch {
                values: 3,
                orders: 2
            })
        );
        assert_eq!(
            decode(&bytes, &orders[..2]),
            Err(KeyCodecError::TrailingBytes {
                offset: bytes.len() - 1,
                count: 1
            })
        );
    }

    #[test]
    fn malformed_input_is_rejected() {
        assert_eq!(
            decode(&[], &[ASC]),
            Err(KeyCodecError::Truncated { offset: 0 })
        );
        assert_eq!(
            decode(&[0x20, 1, 2], &[ASC]),
            Err(KeyCodecError::Truncated { offset: 0 })
        );
        assert_eq!(
            decode(&[0x60, b'a', 0x00], &[ASC]),
            Err(KeyCodecError::Truncated { offset: 0 })
        );
        // The other setting's NULL marker and unknown tags.
        assert_eq!(
            decode(&[0x00], &[ASC]),
            Err(KeyCodecError::InvalidTag {
                tag: 0x00,
                offset: 0
            })
        );
        assert_eq!(
            decode(&[0xFF], &[DESC]),
            Err(KeyCodecError::InvalidTag {
                tag: 0xFF,
                offset: 0
            })
        );
        assert_eq!(
            decode(&[0x45], &[ASC]),
            Err(KeyCodecError::InvalidTag {
                tag: 0x45,
                offset: 0
            })
        );
        assert_eq!(
            decode(&[0x60, 0x00, 0x01], &[ASC]),
            Err(KeyCodecError::InvalidEscape {
                byte: 0x01,
                offset: 2
            })
        );
        assert_eq!(
            decode(&[0x60, 0xC3, 0x00, 0x00], &[ASC]),
            Err(KeyCodecError::InvalidUtf8 { offset: 0 })
        );
        // -0.0 and a non-canonical NaN.
        let neg_zero = [0x30, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(
            decode(&neg_zero, &[ASC]),
            Err(KeyCodecError::NonCanonicalFloat { offset: 0 })
        );
        let odd_nan = [0x30, 0xFF, 0xF8, 0, 0, 0, 0, 0, 1];
        assert_eq!(
            decode(&odd_nan, &[ASC]),
            Err(KeyCodecError::NonCanonicalFloat { offset: 0 })
        );
        assert_eq!(
            KeyCodecError::Truncated { offset: 0 }.sqlstate(),
            SqlState::DATA_CORRUPTED
        );
    }

    #[test]
    fn nan_round_trips_as_nan() {
        let bytes = enc(KeyValue::Float(-f64::NAN), DESC);
        match decode(&bytes, &[DESC]).unwrap().as_slice() {
            [KeyValue::Float(f)] => assert!(f.is_nan()),
            other => panic!("{other:?}"),
        }
        let zero = decode(&enc(KeyValue::Float(-0.0), ASC), &[ASC]).unwrap();
        assert!(matches!(zero.as_slice(), [KeyValue::Float(f)] if f.to_bits() == 0));
    }

    #[test]
    fn u64_ids_and_prefix_end() {
        let mut buf = Vec::new();
        encode_u64(&mut buf, 0x0102);
        buf.push(0xAA);
        assert_eq!(buf, [0, 0, 0, 0, 0, 0, 1, 2, 0xAA]);
        assert_eq!(decode_u64(&buf), Ok((0x0102, &[0xAA][..])));
        assert_eq!(
            decode_u64(&buf[..7]),
            Err(KeyCodecError::Truncated { offset: 0 })
        );
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xFF, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF]), None);
        assert_eq!(prefix_end(&[]), None);
    }

    #[test]
    fn builder_and_decoder_agree() {
        let mut b = KeyBuilder::with_prefix(b"t");
        b.push_u64(9)
            .push(&KeyValue::Bool(true), DESC)
            .push(&KeyValue::Null, ASC);
        let key = b.into_bytes();
        let mut d = KeyDecoder::new(&key);
        assert_eq!(d.next_raw(1), Ok(&b"t"[..]));
        assert_eq!(d.next_u64(), Ok(9));
        assert_eq!(d.next_value(DESC), Ok(KeyValue::Bool(true)));
        assert!(!d.is_empty());
        assert_eq!(d.next_value(ASC), Ok(KeyValue::Null));
        assert_eq!(d.finish(), Ok(()));
        assert_eq!(
            d.next_raw(1),
            Err(KeyCodecError::Truncated { offset: key.len() })
        );
    }
}
