//! The payload of a commit record in the log: one transaction's whole write set.
//!
//! Layout (little-endian): `version: u8 = 1`, `commit_ts: u64`, `count: u32`, then `count`
//! entries of `kind: u8` (0 = delete, 1 = put), `key_len: u32`, key bytes, and for puts
//! `value_len: u32` and value bytes. The log frame around it carries the length and checksum;
//! decoding still checks every length, because a record that passed its checksum but was written
//! by a different build must fail cleanly rather than panic.

use crate::kv::Ts;
use crate::{Result, TxnError};

const VERSION: u8 = 1;
/// Offset of the commit timestamp inside an encoded record, so it can be patched in after the
/// write set was encoded outside the commit mutex.
pub const TS_OFFSET: usize = 1;

/// One change of a write set: a put (`Some`) or a delete (`None`).
pub type Write = (Vec<u8>, Option<Vec<u8>>);

/// Encodes a commit record with a placeholder timestamp (see [`set_ts`]).
pub fn encode<'a>(
    writes: impl ExactSizeIterator<Item = (&'a [u8], Option<&'a [u8]>)> + Clone,
) -> Vec<u8> {
    // Sized exactly first: a large transaction's record is big, and growing it by doubling
    // copies it several times and touches twice the memory.
    let size: usize = writes
        .clone()
        .map(|(k, v)| 5 + k.len() + v.map_or(0, |v| 4 + v.len()))
        .sum();
    let mut out = Vec::with_capacity(13 + size);
    out.push(VERSION);
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&(writes.len() as u32).to_le_bytes());
    for (key, value) in writes {
        out.push(u8::from(value.is_some()));
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(key);
        if let Some(v) = value {
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            out.extend_from_slice(v);
        }
    }
    out
}

/// Writes the commit timestamp into an encoded record.
pub fn set_ts(record: &mut [u8], ts: Ts) {
    record[TS_OFFSET..TS_OFFSET + 8].copy_from_slice(&ts.to_le_bytes());
}

/// Decodes a commit record.
pub fn decode(mut buf: &[u8]) -> Result<(Ts, Vec<Write>)> {
    let version = take_u8(&mut buf)?;
    if version != VERSION {
        return Err(corrupt(format!("unknown commit record version {version}")));
    }
    let ts = u64::from_le_bytes(take_array(&mut buf)?);
    let count = u32::from_le_bytes(take_array(&mut buf)?) as usize;
    let mut writes = Vec::with_capacity(count.min(buf.len() / 5));
    for _ in 0..count {
        let kind = take_u8(&mut buf)?;
        let key = take_bytes(&mut buf)?;
        let value = match kind {
            0 => None,
            1 => Some(take_bytes(&mut buf)?),
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

fn take_bytes(buf: &mut &[u8]) -> Result<Vec<u8>> {
    let len = u32::from_le_bytes(take_array(buf)?) as usize;
    let (head, rest) = buf
        .split_at_checked(len)
        .ok_or_else(|| corrupt("truncated".into()))?;
    *buf = rest;
    Ok(head.to_vec())
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
            let mut rec = encode(writes.iter().map(|(k, v)| (k.as_slice(), v.as_deref())));
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
    fn truncation_is_an_error() {
        let rec = encode([(&b"k"[..], Some(&b"v"[..]))].into_iter());
        for n in 0..rec.len() {
            assert!(decode(&rec[..n]).is_err());
        }
    }
}
