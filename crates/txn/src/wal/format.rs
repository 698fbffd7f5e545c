//! The on-disk byte layout of segments and record frames (see `docs/wal-format.md`).
//!
//! Everything is little-endian. Checksums are CRC-32 (IEEE polynomial, as computed by
//! `crc32fast`), not CRC-32C.

use super::Lsn;

/// The first 8 bytes of every segment.
pub(crate) const SEGMENT_MAGIC: [u8; 8] = *b"BASALTWL";
/// The segment format version this build writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// Length of the segment header; the first frame starts right after it.
pub(crate) const SEGMENT_HEADER_LEN: usize = 32;
/// The first 4 bytes of every record frame ("BREC" read as a little-endian u32).
pub(crate) const FRAME_MAGIC: u32 = u32::from_le_bytes(*b"BREC");
/// Length of a frame header.
pub(crate) const FRAME_HEADER_LEN: usize = 32;
/// Frames start at multiples of this offset; the gap after a payload is zero padding.
pub(crate) const FRAME_ALIGN: usize = 8;
/// Suffix of segment file names.
pub(crate) const SEGMENT_SUFFIX: &str = ".wal";
/// Suffix of a segment being created (renamed to its final name once preallocated and synced).
pub(crate) const TEMP_SUFFIX: &str = ".wal.tmp";
/// Number of digits of the first LSN in a segment name.
const NAME_DIGITS: usize = 20;

/// What a segment header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    pub first_lsn: Lsn,
}

/// Why a segment header was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// Shorter than a header.
    Short(usize),
    /// Not Basalt's magic: a foreign file.
    Magic([u8; 8]),
    /// A version this build cannot read.
    Version(u32),
    /// Basalt's magic and version but a failed checksum or impossible fields.
    Corrupt(String),
}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(src) = buf.get(at..at + 4) {
        b.copy_from_slice(src);
    }
    u32::from_le_bytes(b)
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(src) = buf.get(at..at + 8) {
        b.copy_from_slice(src);
    }
    u64::from_le_bytes(b)
}

/// Encodes a segment header.
pub(crate) fn encode_segment_header(first_lsn: Lsn) -> [u8; SEGMENT_HEADER_LEN] {
    let mut h = [0u8; SEGMENT_HEADER_LEN];
    h[0..8].copy_from_slice(&SEGMENT_MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&(SEGMENT_HEADER_LEN as u32).to_le_bytes());
    h[16..24].copy_from_slice(&first_lsn.to_le_bytes());
    // 24..28 reserved, zero.
    let crc = crc32fast::hash(&h[0..28]);
    h[28..32].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Decodes and checks a segment header from the start of `buf`.
pub(crate) fn decode_segment_header(buf: &[u8]) -> Result<SegmentHeader, HeaderError> {
    let Some(h) = buf.get(..SEGMENT_HEADER_LEN) else {
        return Err(HeaderError::Short(buf.len()));
    };
    let mut magic = [0u8; 8];
    magic.copy_from_slice(&h[0..8]);
    if magic != SEGMENT_MAGIC {
        return Err(HeaderError::Magic(magic));
    }
    // The version comes before the checksum: a later format may lay its header out differently.
    let version = u32_at(h, 8);
    if version != FORMAT_VERSION {
        return Err(HeaderError::Version(version));
    }
    let crc = u32_at(h, 28);
    if crc != crc32fast::hash(&h[0..28]) {
        return Err(HeaderError::Corrupt(
            "segment header checksum mismatch".into(),
        ));
    }
    let header_len = u32_at(h, 12);
    if header_len as usize != SEGMENT_HEADER_LEN || u32_at(h, 24) != 0 {
        return Err(HeaderError::Corrupt(format!(
            "segment header has length {header_len} and reserved field {} (expected {} and 0)",
            u32_at(h, 24),
            SEGMENT_HEADER_LEN
        )));
    }
    let first_lsn = u64_at(h, 16);
    if first_lsn == 0 {
        return Err(HeaderError::Corrupt(
            "segment header has first LSN 0".into(),
        ));
    }
    Ok(SegmentHeader { first_lsn })
}

/// The on-disk size of a frame holding `payload_len` bytes, padding included.
pub(crate) fn frame_len(payload_len: usize) -> u64 {
    align_up((FRAME_HEADER_LEN + payload_len) as u64)
}

/// Rounds up to a multiple of [`FRAME_ALIGN`].
pub(crate) fn align_up(n: u64) -> u64 {
    n.div_ceil(FRAME_ALIGN as u64) * FRAME_ALIGN as u64
}

/// Appends a frame (header, payload, zero padding) to `out`.
pub(crate) fn encode_frame(out: &mut Vec<u8>, lsn: Lsn, durable_lsn: Lsn, payload: &[u8]) {
    let start = out.len();
    out.extend_from_slice(&frame_header(lsn, durable_lsn, payload));
    out.extend_from_slice(payload);
    let padded = start + frame_len(payload.len()) as usize;
    out.resize(padded, 0);
}

/// The header of the frame holding `payload` (written before it; zero padding follows up to
/// [`frame_len`]).
pub(crate) fn frame_header(lsn: Lsn, durable_lsn: Lsn, payload: &[u8]) -> [u8; FRAME_HEADER_LEN] {
    let mut h = [0u8; FRAME_HEADER_LEN];
    h[0..4].copy_from_slice(&FRAME_MAGIC.to_le_bytes());
    // Payload lengths are checked against the maximum record size (< 4 GiB) before encoding.
    h[4..8].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    h[8..16].copy_from_slice(&lsn.to_le_bytes());
    h[16..24].copy_from_slice(&durable_lsn.to_le_bytes());
    // 24..28 reserved (flags), zero.
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&h[0..28]);
    hasher.update(payload);
    h[28..32].copy_from_slice(&hasher.finalize().to_le_bytes());
    h
}

/// A frame that passed every check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    pub lsn: Lsn,
    pub durable_lsn: Lsn,
    /// Offset of the payload within the buffer that was decoded.
    pub payload_start: usize,
    pub payload_len: usize,
    /// Size of the frame on disk, padding included.
    pub len: usize,
}

/// Decodes the frame at `offset` of `buf` if it is complete and its checksum holds.
/// Returns `None` for anything else (zeros, garbage, a torn or truncated frame).
pub(crate) fn decode_frame(buf: &[u8], offset: usize) -> Option<Frame> {
    let h = buf.get(offset..offset.checked_add(FRAME_HEADER_LEN)?)?;
    if u32_at(h, 0) != FRAME_MAGIC || u32_at(h, 24) != 0 {
        return None;
    }
    let payload_len = u32_at(h, 4) as usize;
    let payload_start = offset + FRAME_HEADER_LEN;
    let payload = buf.get(payload_start..payload_start.checked_add(payload_len)?)?;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&h[0..28]);
    hasher.update(payload);
    if hasher.finalize() != u32_at(h, 28) {
        return None;
    }
    Some(Frame {
        lsn: u64_at(h, 8),
        durable_lsn: u64_at(h, 16),
        payload_start,
        payload_len,
        len: frame_len(payload_len) as usize,
    })
}

/// The file name of the segment whose first record is `first_lsn`.
pub(crate) fn segment_name(first_lsn: Lsn) -> String {
    format!("{first_lsn:0NAME_DIGITS$}{SEGMENT_SUFFIX}")
}

/// The name of the temporary file a segment is built in.
pub(crate) fn temp_name(first_lsn: Lsn) -> String {
    format!("{first_lsn:0NAME_DIGITS$}{TEMP_SUFFIX}")
}

/// What a file in the WAL directory is, judged by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileKind {
    Segment(Lsn),
    Temp,
    Foreign,
}

/// Classifies a file name.
pub(crate) fn classify(name: &str) -> FileKind {
    let parse = |stem: &str| {
        (stem.len() == NAME_DIGITS && stem.bytes().all(|b| b.is_ascii_digit()))
            .then(|| stem.parse::<Lsn>().ok())
            .flatten()
    };
    if let Some(stem) = name.strip_suffix(TEMP_SUFFIX) {
        return if parse(stem).is_some() {
            FileKind::Temp
        } else {
            FileKind::Foreign
        };
    }
    match name.strip_suffix(SEGMENT_SUFFIX).and_then(parse) {
        Some(lsn) if lsn > 0 => FileKind::Segment(lsn),
        _ => FileKind::Foreign,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_header_round_trip_and_checks() {
        let h = encode_segment_header(42);
        assert_eq!(
            decode_segment_header(&h),
            Ok(SegmentHeader { first_lsn: 42 })
        );
        assert_eq!(decode_segment_header(&h[..10]), Err(HeaderError::Short(10)));
        let mut bad = h;
        bad[0] = b'X';
        assert!(matches!(
            decode_segment_header(&bad),
            Err(HeaderError::Magic(_))
        ));
        let mut bad = h;
        bad[17] ^= 1;
        assert!(matches!(
            decode_segment_header(&bad),
            Err(HeaderError::Corrupt(_))
        ));
        let mut v2 = h;
        v2[8] = 2;
        assert_eq!(decode_segment_header(&v2), Err(HeaderError::Version(2)));
    }

    #[test]
    fn frame_round_trip_and_every_byte_is_checked() {
        let mut buf = vec![0u8; 8];
        encode_frame(&mut buf, 7, 5, b"hello world");
        assert_eq!(buf.len(), 8 + 48);
        let f = decode_frame(&buf, 8).unwrap();
        assert_eq!((f.lsn, f.durable_lsn, f.payload_len, f.len), (7, 5, 11, 48));
        assert_eq!(
            &buf[f.payload_start..f.payload_start + f.payload_len],
            b"hello world"
        );
        for i in 8..8 + FRAME_HEADER_LEN + 11 {
            let mut bad = buf.clone();
            bad[i] ^= 0x10;
            assert_eq!(
                decode_frame(&bad, 8),
                None,
                "flip at byte {i} went unnoticed"
            );
        }
        // Truncated frames are not frames.
        assert_eq!(decode_frame(&buf[..40], 8), None);
    }

    #[test]
    fn names() {
        assert_eq!(segment_name(1), "00000000000000000001.wal");
        assert_eq!(classify(&segment_name(1)), FileKind::Segment(1));
        assert_eq!(
            classify(&segment_name(u64::MAX)),
            FileKind::Segment(u64::MAX)
        );
        assert_eq!(classify(&temp_name(9)), FileKind::Temp);
        for foreign in [
            "x.wal",
            "1.wal",
            "00000000000000000000.wal",
            "0000000000000000000a.wal",
        ] {
            assert_eq!(classify(foreign), FileKind::Foreign, "{foreign}");
        }
        assert_eq!(classify("notes.txt"), FileKind::Foreign);
    }
}
