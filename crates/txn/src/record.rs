//! The payload of a commit record in the log: one transaction's whole write set.
//!
//! Layout, version 2 (what is written): `version: u8 = 2`, `commit_ts: u64` (little-endian),
//! `count: u32` (little-endian), then `count` entries of `kind: u8` (0 = delete, 1 = put),
//! `shared` (varint: how many leading bytes the key shares with the previous entry's key),
//! `suffix_len` (varint) and the key's remaining bytes, and for puts `value_len` (varint) and
//! the value bytes. Varints are LEB128 (7 bits per byte, low bits first).
//!
//! A write set is in key order, so neighbouring keys share their table or index prefix and
//! most of a sequential key: a bulk load's record is about a third smaller than with whole
//! keys and fixed 4-byte lengths (version 1, still decoded: `key_len: u32`, key bytes, and for
//! puts `value_len: u32` and value bytes), and the log write and fsync of a large commit
//! shrink with it. The log frame around the record carries the length and checksum; decoding
//! still checks every length, because a record that passed its checksum but was written by a
//! different build must fail cleanly rather than panic.

use crate::kv::Ts;
use crate::{Result, TxnError};

const VERSION: u8 = 2;
/// Offset of the commit timestamp inside an encoded record, so it can be patched in after the
/// write set was encoded outside the commit mutex.
pub const TS_OFFSET: usize = 1;

/// One change of a write set: a put (`Some`) or a delete (`None`).
pub type Write = (Vec<u8>, Option<Vec<u8>>);

/// Encodes a commit record with a placeholder timestamp (see [`set_ts`]).
pub fn encode<'a>(
    count: usize,
    writes: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + Clone,
) -> Vec<u8> {
    let bytes = writes
        .clone()
        .map(|(k, v)| k.len() + v.map_or(0, <[u8]>::len))
        .sum();
    encode_bounded(count, bytes, writes)
}

/// [`encode`] when the caller knows a bound of the writes' key and value bytes together
/// (a write buffer's arena size): one pass over the writes instead of two.
pub fn encode_bounded<'a>(
    count: usize,
    bytes: usize,
    writes: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
) -> Vec<u8> {
    // Reserved at the most it can take: a large transaction's record is big, and growing it
    // by doubling copies it several times. Pages of the reservation never written are never
    // touched, so the unused part costs no memory.
    let mut out = Vec::with_capacity(13 + count * (1 + 3 * MAX_VARINT) + bytes);
    out.push(VERSION);
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&(count as u32).to_le_bytes());
    let mut previous: &[u8] = &[];
    for (key, value) in writes {
        out.push(u8::from(value.is_some()));
        let shared = shared_prefix(key, previous);
        put_varint(&mut out, shared);
        put_varint(&mut out, key.len() - shared);
        out.extend_from_slice(&key[shared..]);
        if let Some(v) = value {
            put_varint(&mut out, v.len());
            out.extend_from_slice(v);
        }
        previous = key;
    }
    out
}

/// How many leading bytes `a` and `b` share, compared eight at a time.
fn shared_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_ne_bytes(a[i..i + 8].try_into().unwrap_or_default());
        let y = u64::from_ne_bytes(b[i..i + 8].try_into().unwrap_or_default());
        if x != y {
            break;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Bytes a varint of a `usize` below 2^35 takes at most (lengths are below 4 GiB).
const MAX_VARINT: usize = 5;

fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Sets the commit timestamp of an encoded record.
pub fn set_ts(record: &mut [u8], ts: Ts) {
    record[TS_OFFSET..TS_OFFSET + 8].copy_from_slice(&ts.to_le_bytes());
}

/// Decodes a commit record into its timestamp and write set.
pub fn decode(mut buf: &[u8]) -> Result<(Ts, Vec<Write>)> {
    let version = take_u8(&mut buf)?;
    if version != 1 && version != VERSION {
        return Err(corrupt(format!("unknown commit record version {version}")));
    }
    let ts = u64::from_le_bytes(take_array(&mut buf)?);
    let count = u32::from_le_bytes(take_array(&mut buf)?) as usize;
    // An entry takes at least 3 bytes, so a bogus count cannot reserve much.
    let mut writes: Vec<Write> = Vec::with_capacity(count.min(buf.len() / 3));
    for _ in 0..count {
        let kind = take_u8(&mut buf)?;
        let key = if version == 1 {
            take_bytes(&mut buf)?
        } else {
            let shared = take_varint(&mut buf)?;
            let previous = writes.last().map_or(&[][..], |(k, _)| k.as_slice());
            let head = previous
                .get(..shared)
                .ok_or_else(|| corrupt("shared key prefix longer than the previous key".into()))?;
            let suffix_len = take_varint(&mut buf)?;
            let suffix = take_slice(&mut buf, suffix_len)?;
            let mut key = Vec::with_capacity(shared + suffix.len());
            key.extend_from_slice(head);
            key.extend_from_slice(suffix);
            key
        };
        let value = match kind {
            0 => None,
            1 if version == 1 => Some(take_bytes(&mut buf)?),
            1 => {
                let len = take_varint(&mut buf)?;
                Some(take_slice(&mut buf, len)?.to_vec())
            }
            k => return Err(corrupt(format!("unknown write kind {k}"))),
        };
        writes.push((key, value));
    }
    if !buf.is_empty() {
        return Err(corrupt(format!("{} trailing bytes", buf.len())));
    }
    Ok((ts, writes))
}

fn corrupt(msg: String) -> TxnError {
    TxnError::Corrupt(format!("commit record: {msg}"))
}

fn take_u8(buf: &mut &[u8]) -> Result<u8> {
    let (&b, rest) = buf
        .split_first()
        .ok_or_else(|| corrupt("truncated".into()))?;
    *buf = rest;
    Ok(b)
}

fn take_array<const N: usize>(buf: &mut &[u8]) -> Result<[u8; N]> {
    let (head, rest) = buf
        .split_at_checked(N)
        .ok_or_else(|| corrupt("truncated".into()))?;
    *buf = rest;
    head.try_into().map_err(|_| corrupt("truncated".into()))
}

fn take_slice<'a>(buf: &mut &'a [u8], len: usize) -> Result<&'a [u8]> {
    let (head, rest) = buf
        .split_at_checked(len)
        .ok_or_else(|| corrupt("truncated".into()))?;
    *buf = rest;
    Ok(head)
}

fn take_varint(buf: &mut &[u8]) -> Result<usize> {
    let mut n: u64 = 0;
    for shift in (0..35).step_by(7) {
        let b = take_u8(buf)?;
        n |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return usize::try_from(n).map_err(|_| corrupt("length out of range".into()));
        }
    }
    Err(corrupt("overlong length".into()))
}

fn take_bytes(buf: &mut &[u8]) -> Result<Vec<u8>> {
    let len = u32::from_le_bytes(take_array(buf)?) as usize;
    Ok(take_slice(buf, len)?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(ts: u64, writes in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..20),
             prop::option::of(prop::collection::vec(any::<u8>(), 0..40))), 0..20)) {
            let mut rec = encode(writes.len(), writes.iter().map(|(k, v)| (k.as_slice(), v.as_deref())));
            set_ts(&mut rec, ts);
            let (got_ts, got) = decode(&rec).unwrap();
            prop_assert_eq!(got_ts, ts);
            prop_assert_eq!(got, writes);
        }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn shared_prefix_lengths() {
        let a = b"0123456789abcdefXYZ";
        for n in 0..=a.len() {
            let mut b = a.to_vec();
            if n < b.len() {
                b[n] ^= 1;
            }
            assert_eq!(shared_prefix(a, &b), n);
            assert_eq!(shared_prefix(&a[..n], a), n);
        }
    }

    /// A version-1 record (what earlier builds wrote) still decodes.
    #[test]
    fn version_1_records_decode() {
        let mut rec = vec![1u8];
        rec.extend_from_slice(&7u64.to_le_bytes());
        rec.extend_from_slice(&2u32.to_le_bytes());
        rec.push(1);
        rec.extend_from_slice(&2u32.to_le_bytes());
        rec.extend_from_slice(b"ka");
        rec.extend_from_slice(&1u32.to_le_bytes());
        rec.extend_from_slice(b"v");
        rec.push(0);
        rec.extend_from_slice(&2u32.to_le_bytes());
        rec.extend_from_slice(b"kb");
        assert_eq!(
            decode(&rec).unwrap(),
            (
                7,
                vec![
                    (b"ka".to_vec(), Some(b"v".to_vec())),
                    (b"kb".to_vec(), None)
                ]
            )
        );
    }

    /// Sorted keys share their prefixes; long values take multi-byte lengths.
    #[test]
    fn shared_prefixes_and_long_lengths() {
        let writes: Vec<Write> = (0u64..300)
            .map(|i| {
                let mut k = b"t\x00\x00\x01\x02".to_vec();
                k.extend_from_slice(&i.to_be_bytes());
                (k, (i % 7 != 0).then(|| vec![b'x'; i as usize * 3]))
            })
            .collect();
        let rec = encode(
            writes.len(),
            writes.iter().map(|(k, v)| (k.as_slice(), v.as_deref())),
        );
        let values: usize = writes
            .iter()
            .map(|(_, v)| v.as_ref().map_or(0, Vec::len))
            .sum();
        // Whole 13-byte keys and 4-byte lengths would take over 20 bytes per entry.
        assert!(
            rec.len() <= 13 + values + 8 * writes.len(),
            "{} bytes",
            rec.len()
        );
        assert_eq!(decode(&rec).unwrap(), (0, writes));
    }

    #[test]
    fn truncation_is_an_error() {
        let rec = encode(1, [(&b"k"[..], Some(&b"v"[..]))].into_iter());
        for n in 0..rec.len() {
            assert!(decode(&rec[..n]).is_err());
        }
    }
}
