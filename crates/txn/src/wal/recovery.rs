//! The recovery scan run by [`Wal::open`](super::Wal::open).
//!
//! It works in two phases so that an error leaves the disk untouched:
//! 1. *Judge* (read only): classify the directory's files, check every segment header, walk the
//!    frames from the oldest segment to the first position that does not hold the next expected
//!    record, and — if anything but zeros follows — look through everything after that position
//!    for a valid frame whose `durable_lsn` proves the missing record had been fsynced. Such
//!    proof, a foreign file, a bad header, or overlapping segments end the open with an error.
//! 2. *Repair* (writes): zero the rest of the segment the log ends in (if it is not zero already)
//!    and sync it, remove the segments after it, remove leftover temporary files, fsync the
//!    directory, and fsync every remaining segment, so that every record the scan kept is
//!    durable before new records can claim it as such.
//!
//! Each repair step is idempotent: a crash in the middle of phase 2 leaves a directory on which
//! phase 1 reaches the same decision again.

use std::path::Path;
use std::sync::Arc;

use basalt_storage::io::{Io, IoFile, OpenOptions};

use super::format::{
    self, FRAME_ALIGN, FRAME_HEADER_LEN, FRAME_MAGIC, FileKind, Frame, HeaderError,
    SEGMENT_HEADER_LEN,
};
use super::{Lsn, MAX_SEGMENT_FILE_LEN, WalError};

/// What [`Wal::open`](super::Wal::open) found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Whether the directory held no log and a new one was created.
    pub created: bool,
    /// Segments in the log after recovery.
    pub segments: usize,
    /// LSN of the oldest record in the log (equal to `next_lsn` when the log is empty).
    pub first_lsn: Lsn,
    /// The LSN the next appended record gets; `next_lsn - 1` is the last record kept.
    pub next_lsn: Lsn,
    /// The torn or unsynced tail that was cut, if there was one.
    pub cut: Option<TailCut>,
    /// Temporary files of interrupted segment creations that were removed.
    pub removed_temp_files: Vec<String>,
}

/// The tail that recovery cut off the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailCut {
    /// The first LSN that is not in the log any more (the next append reuses it).
    pub lsn: Lsn,
    /// The segment in which the log now ends.
    pub segment: String,
    /// Offset in that segment where the log now ends.
    pub offset: u64,
    /// Bytes from `offset` to the end of the segment that were overwritten with zeros (0 when
    /// they were zeros already).
    pub zeroed_bytes: u64,
    /// Later segments that were removed.
    pub removed_segments: Vec<String>,
    /// What was found at the cut position.
    pub reason: String,
}

/// A segment as the scan left it.
#[derive(Debug, Clone)]
pub(crate) struct ScannedSegment {
    pub first_lsn: Lsn,
    pub name: String,
    /// File length (capacity).
    pub len: u64,
    /// Offset just after the last valid frame.
    pub end: u64,
}

/// The outcome of a successful scan and repair.
pub(crate) struct Recovered {
    /// Empty only if the directory held no segment.
    pub segments: Vec<ScannedSegment>,
    pub next_lsn: Lsn,
    pub report: RecoveryReport,
}

/// Where the valid records stop while something other than zeros follows (or the next segment
/// does not continue the sequence).
struct Stop {
    segment: usize,
    offset: u64,
    expected: Lsn,
    reason: String,
}

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> WalError {
    move |e| WalError::io(context, e)
}

fn read_whole(io: &dyn Io, path: &Path) -> Result<Vec<u8>, WalError> {
    let ctx = || format!("reading segment {}", path.display());
    let file = io
        .open(path, OpenOptions::read_only())
        .map_err(io_err(ctx()))?;
    let len = file.len().map_err(io_err(ctx()))?;
    let len = usize::try_from(len)
        .map_err(|_| WalError::Foreign(format!("{} is too large", path.display())))?;
    let mut buf = vec![0u8; len];
    file.read_exact_at(0, &mut buf).map_err(io_err(ctx()))?;
    Ok(buf)
}

/// Whether every byte is zero (slice comparison, so it is fast even unoptimized).
pub(crate) fn all_zero(buf: &[u8]) -> bool {
    const ZEROS: [u8; 4096] = [0; 4096];
    buf.chunks(ZEROS.len())
        .all(|c| ZEROS.get(..c.len()) == Some(c))
}

/// The first valid frame at an aligned offset `>= start` whose `durable_lsn` is at least
/// `expected`: proof that the record with LSN `expected` had been fsynced.
fn find_evidence(buf: &[u8], start: usize, expected: Lsn) -> Option<(usize, Frame)> {
    let mut off = start.div_ceil(FRAME_ALIGN) * FRAME_ALIGN;
    let magic = FRAME_MAGIC.to_le_bytes();
    while off + FRAME_HEADER_LEN <= buf.len() {
        if buf.get(off..off + 4) == Some(&magic[..])
            && let Some(frame) = format::decode_frame(buf, off)
            && frame.durable_lsn >= expected
        {
            return Some((off, frame));
        }
        off += FRAME_ALIGN;
    }
    None
}

/// Describes what lies at `offset` where record `expected` should be.
fn describe(buf: &[u8], offset: usize, expected: Lsn) -> String {
    if let Some(f) = format::decode_frame(buf, offset) {
        if f.lsn != expected {
            return format!(
                "a valid record with LSN {} where LSN {expected} was expected",
                f.lsn
            );
        }
        return format!(
            "record LSN {expected} claims durable LSN {}, which is not below its own",
            f.durable_lsn
        );
    }
    let header = buf.get(offset..).unwrap_or_default();
    let header = header.get(..FRAME_HEADER_LEN).unwrap_or(header);
    if all_zero(header) {
        return format!(
            "zeros where record LSN {expected} would start, followed by non-zero bytes"
        );
    }
    if header.get(..4) == Some(&FRAME_MAGIC.to_le_bytes()[..]) {
        return format!("a torn or corrupt record where LSN {expected} was expected");
    }
    format!("bytes that are not a record frame where LSN {expected} was expected")
}

/// Scans `dir`, judges it, repairs the tail; see the [module docs](self).
pub(crate) fn recover(io: &Arc<dyn Io>, dir: &Path) -> Result<Recovered, WalError> {
    let exists = io
        .exists(dir)
        .map_err(io_err(format!("checking {}", dir.display())))?;
    if !exists {
        io.create_dir_all(dir)
            .map_err(io_err(format!("creating {}", dir.display())))?;
    }
    let Judged {
        mut scanned,
        temps,
        stop,
        mut expected,
    } = judge(io, dir)?;

    // Phase 2: repair.
    let mut report = RecoveryReport::default();
    if let Some(s) = stop {
        let seg = &scanned[s.segment];
        let path = dir.join(&seg.name);
        let buf = read_whole(&**io, &path)?;
        let mut zeroed = 0;
        if !all_zero(buf.get(s.offset as usize..).unwrap_or_default()) {
            let ctx = || format!("cutting the log tail in {}", path.display());
            let file = io
                .open(&path, OpenOptions::read_write())
                .map_err(io_err(ctx()))?;
            zero_range(&*file, s.offset, seg.len).map_err(io_err(ctx()))?;
            file.sync_data().map_err(io_err(ctx()))?;
            zeroed = seg.len - s.offset;
        }
        let mut removed = Vec::new();
        for later in scanned.drain(s.segment + 1..).rev() {
            let p = dir.join(&later.name);
            io.remove_file(&p)
                .map_err(io_err(format!("removing segment {}", p.display())))?;
            removed.push(later.name);
        }
        removed.reverse();
        report.cut = Some(TailCut {
            lsn: s.expected,
            segment: scanned[s.segment].name.clone(),
            offset: s.offset,
            zeroed_bytes: zeroed,
            removed_segments: removed,
            reason: s.reason,
        });
        expected = s.expected;
    }
    for t in &temps {
        let p = dir.join(t);
        io.remove_file(&p)
            .map_err(io_err(format!("removing {}", p.display())))?;
    }
    report.removed_temp_files = temps;
    io.sync_dir(dir).map_err(io_err(format!(
        "syncing the log directory {}",
        dir.display()
    )))?;
    for seg in &scanned {
        let p = dir.join(&seg.name);
        let ctx = || format!("syncing segment {}", p.display());
        let file = io
            .open(&p, OpenOptions::read_write())
            .map_err(io_err(ctx()))?;
        file.sync_data().map_err(io_err(ctx()))?;
    }

    report.segments = scanned.len();
    report.first_lsn = scanned.first().map_or(expected, |s| s.first_lsn);
    report.next_lsn = expected;
    Ok(Recovered {
        segments: scanned,
        next_lsn: expected,
        report,
    })
}

/// What phase 1 found: the segments (each with the end of its valid records), leftover
/// temporary files, where the valid records stop short of the files' end, if they do, and
/// the LSN the next record would get.
struct Judged {
    scanned: Vec<ScannedSegment>,
    temps: Vec<String>,
    stop: Option<Stop>,
    expected: Lsn,
}

/// Phase 1 (read only): see the module documentation.
fn judge(io: &Arc<dyn Io>, dir: &Path) -> Result<Judged, WalError> {
    let names = io.read_dir(dir).map_err(io_err(format!(
        "listing the log directory {}",
        dir.display()
    )))?;

    let mut segments: Vec<(Lsn, String)> = Vec::new();
    let mut temps = Vec::new();
    let mut foreign = Vec::new();
    for name in names {
        let Some(name_str) = name.to_str() else {
            foreign.push(name.to_string_lossy().into_owned());
            continue;
        };
        match format::classify(name_str) {
            FileKind::Segment(lsn) => segments.push((lsn, name_str.to_owned())),
            FileKind::Temp => temps.push(name_str.to_owned()),
            FileKind::Foreign => foreign.push(name_str.to_owned()),
        }
    }
    if !foreign.is_empty() {
        return Err(WalError::Foreign(format!(
            "the log directory {} holds files that are not Basalt log segments: {}",
            dir.display(),
            foreign.join(", ")
        )));
    }
    segments.sort();

    // Phase 1a: every header.
    let mut scanned = Vec::with_capacity(segments.len());
    for (name_lsn, name) in &segments {
        let path = dir.join(name);
        let ctx = || format!("reading segment {}", path.display());
        let file = io
            .open(&path, OpenOptions::read_only())
            .map_err(io_err(ctx()))?;
        let len = file.len().map_err(io_err(ctx()))?;
        let corrupt = |detail: String| WalError::Corrupt {
            segment: name.clone(),
            offset: 0,
            detail,
        };
        if len > MAX_SEGMENT_FILE_LEN {
            return Err(corrupt(format!(
                "the file is {len} bytes, larger than any segment"
            )));
        }
        let mut header = vec![0u8; (len as usize).min(SEGMENT_HEADER_LEN)];
        file.read_exact_at(0, &mut header).map_err(io_err(ctx()))?;
        let h = format::decode_segment_header(&header).map_err(|e| match e {
            HeaderError::Short(n) => corrupt(format!(
                "the file is {n} bytes, shorter than the {SEGMENT_HEADER_LEN}-byte segment header"
            )),
            HeaderError::Magic(m) => WalError::Foreign(format!(
                "{} does not start with the log segment magic \"BASALTWL\" (found {m:02x?})",
                path.display()
            )),
            HeaderError::Version(v) => WalError::Foreign(format!(
                "{} has segment format version {v}; this build reads version {}",
                path.display(),
                format::FORMAT_VERSION
            )),
            HeaderError::Corrupt(detail) => corrupt(detail),
        })?;
        if h.first_lsn != *name_lsn {
            return Err(corrupt(format!(
                "the header says the segment starts at LSN {} but its name says {name_lsn}",
                h.first_lsn
            )));
        }
        scanned.push(ScannedSegment {
            first_lsn: h.first_lsn,
            name: name.clone(),
            len,
            end: 0,
        });
    }

    // Phase 1b: walk the records.
    let mut expected = scanned.first().map_or(1, |s| s.first_lsn);
    let mut stop: Option<Stop> = None;
    for i in 0..scanned.len() {
        let first_lsn = scanned[i].first_lsn;
        if i > 0 && first_lsn != expected {
            let prev = &scanned[i - 1];
            if first_lsn < expected {
                return Err(WalError::Corrupt {
                    segment: scanned[i].name.clone(),
                    offset: 0,
                    detail: format!(
                        "the segment starts at LSN {first_lsn}, but segment {} already holds \
                         records up to LSN {}",
                        prev.name,
                        expected - 1
                    ),
                });
            }
            stop = Some(Stop {
                segment: i - 1,
                offset: prev.end,
                expected,
                reason: format!(
                    "the segment ends before LSN {expected} but the next segment {} starts at \
                     LSN {first_lsn}",
                    scanned[i].name
                ),
            });
            break;
        }
        let buf = read_whole(&**io, &dir.join(&scanned[i].name))?;
        let mut off = SEGMENT_HEADER_LEN;
        while let Some(f) = format::decode_frame(&buf, off) {
            if f.lsn != expected || f.durable_lsn >= f.lsn {
                break;
            }
            expected += 1;
            off += f.len;
        }
        scanned[i].end = off as u64;
        if !all_zero(buf.get(off..).unwrap_or_default()) {
            stop = Some(Stop {
                segment: i,
                offset: off as u64,
                expected,
                reason: describe(&buf, off, expected),
            });
            break;
        }
    }

    // Phase 1c: is there proof that what is missing had been fsynced?
    if let Some(s) = &stop {
        for (j, seg) in scanned.iter().enumerate().skip(s.segment) {
            if j > s.segment && seg.first_lsn < s.expected {
                return Err(WalError::Corrupt {
                    segment: seg.name.clone(),
                    offset: 0,
                    detail: format!(
                        "the segment starts at LSN {}, below LSN {} where the log breaks off",
                        seg.first_lsn, s.expected
                    ),
                });
            }
            let buf = read_whole(&**io, &dir.join(&seg.name))?;
            let start = if j == s.segment {
                s.offset as usize
            } else {
                SEGMENT_HEADER_LEN
            };
            if let Some((at, f)) = find_evidence(&buf, start, s.expected) {
                return Err(WalError::Corrupt {
                    segment: scanned[s.segment].name.clone(),
                    offset: s.offset,
                    detail: format!(
                        "expected record LSN {} here but found {}; record LSN {} in segment {} \
                         at offset {at} was written after LSN {} had been made durable",
                        s.expected, s.reason, f.lsn, seg.name, f.durable_lsn
                    ),
                });
            }
        }
    }

    Ok(Judged {
        scanned,
        temps,
        stop,
        expected,
    })
}

/// What [`verify`] found in a log directory, without changing it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Segments.
    pub segments: usize,
    /// Records whose frames and checksums are intact.
    pub records: u64,
    /// The first record's LSN (the next record's when there is none).
    pub first_lsn: Lsn,
    /// The LSN the next record would get.
    pub next_lsn: Lsn,
    /// A torn tail the next open would cut: the LSN it would stop at, the segment, the
    /// offset, and what was found there. Records there were never acknowledged as durable.
    pub torn_tail: Option<(Lsn, String, u64, String)>,
    /// Leftover temporary files the next open would remove.
    pub temp_files: Vec<String>,
}

/// Checks the log in `dir` as [`Wal::open`](super::Wal::open) would, reading only: every
/// segment header, every record's frame and checksum, and whether damage is a torn tail
/// (reported in [`VerifyReport::torn_tail`]; the next open cuts it) or the loss of a record
/// that had been made durable ([`WalError::Corrupt`]). A file that is not a segment is
/// [`WalError::Foreign`].
pub fn verify(io: &Arc<dyn Io>, dir: &Path) -> Result<VerifyReport, WalError> {
    let j = judge(io, dir)?;
    let first_lsn = j.scanned.first().map_or(j.expected, |s| s.first_lsn);
    Ok(VerifyReport {
        segments: j.scanned.len(),
        records: j.expected - first_lsn,
        first_lsn,
        next_lsn: j.expected,
        torn_tail: j.stop.map(|s| {
            (
                s.expected,
                j.scanned[s.segment].name.clone(),
                s.offset,
                s.reason,
            )
        }),
        temp_files: j.temps,
    })
}

/// Overwrites `[from, to)` with zeros.
pub(crate) fn zero_range(file: &dyn IoFile, from: u64, to: u64) -> std::io::Result<()> {
    const CHUNK: u64 = 1 << 20;
    let zeros = vec![0u8; CHUNK.min(to.saturating_sub(from)) as usize];
    let mut off = from;
    while off < to {
        let n = (to - off).min(CHUNK) as usize;
        file.write_at(off, zeros.get(..n).unwrap_or_default())?;
        off += n as u64;
    }
    Ok(())
}
