//! The commit log: a segmented, checksummed, length-framed log of opaque records.
//!
//! The MVCC layer puts a whole transaction's write set into one record; a record is durable once
//! [`Wal::sync`] has returned after it was appended, and recovery replays records from the last
//! checkpoint with [`Wal::replay`]. The byte layout, the recovery rules and every crash point are
//! specified in `docs/wal-format.md`; this note gives the shape and the invariants.
//!
//! # Shape
//! - Records get consecutive LSNs (log sequence numbers) starting at 1.
//! - The log is a directory of *segments*, each named by the LSN of its first record
//!   (`00000000000000000001.wal`). A segment starts with a 32-byte header (magic `BASALTWL`,
//!   version, first LSN, CRC) followed by 8-byte-aligned *frames*: a 32-byte frame header (magic,
//!   payload length, LSN, `durable_lsn`, CRC over header and payload) and the payload.
//! - A segment is created as `<name>.tmp`, filled with zeros to its full size (default 16 MiB),
//!   fsynced, renamed to its final name, and the directory is fsynced. Records are then written
//!   into preallocated, already-allocated space, so `fdatasync` flushes data only, and the zeros
//!   after the last record mark the end of the log.
//! - A record never straddles segments. A record too large for a standard segment gets a segment
//!   of its own, sized to fit; when it is the only record of its append, the segment is created
//!   holding it (header and record written, fsynced, renamed) instead of zeros first.
//! - Every frame carries `durable_lsn`, the highest LSN known to be fsynced when the frame was
//!   written. This is what lets recovery tell a torn tail (cut it) from a damaged middle (refuse
//!   to open): a bad record followed by any valid frame whose `durable_lsn` reaches it had been
//!   fsynced and is lost data, not an unfinished write.
//!
//! # Invariants
//! - On disk, the segments' LSN ranges are consecutive; the log ends at the first position that
//!   does not hold the next expected record, and everything after it is zeros once recovery ran.
//! - After [`Wal::sync`] returns `Ok`, every record appended before it survives a crash;
//!   [`Wal::durable_lsn`] is the last such record.
//! - After a failed write or fsync the `Wal` is *poisoned*: the failing call returns the IO
//!   error and every later [`Wal::append`], [`Wal::sync`] and [`Wal::remove_segments_before`]
//!   returns [`WalError::Poisoned`]. After a failed fsync the kernel may have dropped the dirty
//!   pages and marked them clean (PostgreSQL's "fsyncgate"), so retrying could report success for
//!   data that is gone; only reopening, which re-reads the disk, is safe. The one exception:
//!   failing to *create* a new segment (before its rename, e.g. ENOSPC while preallocating) leaves
//!   the log as it was, so that append fails, nothing is poisoned, and a later append retries.
//! - [`Wal::open`] either fails having changed nothing on disk, or returns a log in which every
//!   record it found is fsynced (so `durable_lsn` after open is the last record).
//!
//! The `Wal` is used by one committer thread (`&mut self`); it holds no locks and is `Send`.

mod error;
mod format;
mod recovery;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use basalt_storage::io::{Io, IoFile, OpenOptions};

pub use error::WalError;
pub use recovery::{RecoveryReport, TailCut, VerifyReport, verify};

use format::{FRAME_ALIGN, SEGMENT_HEADER_LEN, encode_frame, frame_len};

/// A log sequence number: the position of a record in the log, starting at 1. 0 means "none".
pub type Lsn = u64;

/// The smallest segment size accepted.
pub const MIN_SEGMENT_SIZE: u64 = 256;
/// The largest segment size accepted.
pub const MAX_SEGMENT_SIZE: u64 = 1 << 30;
/// The largest record (payload) size accepted.
pub const MAX_RECORD_SIZE_LIMIT: u32 = 1 << 30;
/// No segment file Basalt writes is larger than this.
pub(crate) const MAX_SEGMENT_FILE_LEN: u64 = MAX_SEGMENT_SIZE + 2 * SEGMENT_HEADER_LEN as u64;
/// Preallocation and tail zeroing write in pieces of this size.
const ZERO_CHUNK: usize = 1 << 20;

/// Writes `data` at `offset` unless it is empty.
fn write_nonempty(file: &dyn IoFile, offset: u64, data: &[u8]) -> io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    file.write_at(offset, data)
}

/// Payloads at least this large are written in place rather than copied into the write
/// buffer first.
const DIRECT_WRITE: usize = 64 << 10;

/// Settings of a [`Wal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalOptions {
    /// Size new segments are preallocated to (a multiple of 8, from [`MIN_SEGMENT_SIZE`] to
    /// [`MAX_SEGMENT_SIZE`]). Default 16 MiB.
    pub segment_size: u64,
    /// The largest payload [`Wal::append`] accepts (at most [`MAX_RECORD_SIZE_LIMIT`]).
    /// Default [`MAX_RECORD_SIZE_LIMIT`] (1 GiB): a transaction's whole write set is one
    /// record, and loads such as `pgbench -i -s 10` (one million rows in one transaction,
    /// about 100 MB) must commit. It limits appends only: records already in the log are
    /// always readable.
    pub max_record_size: u32,
}

impl Default for WalOptions {
    fn default() -> Self {
        WalOptions {
            segment_size: 16 << 20,
            max_record_size: MAX_RECORD_SIZE_LIMIT,
        }
    }
}

impl WalOptions {
    fn validate(&self) -> Result<(), WalError> {
        if self.segment_size < MIN_SEGMENT_SIZE
            || self.segment_size > MAX_SEGMENT_SIZE
            || !self.segment_size.is_multiple_of(8)
        {
            return Err(WalError::InvalidOptions(format!(
                "segment_size {} must be a multiple of 8 between {MIN_SEGMENT_SIZE} and \
                 {MAX_SEGMENT_SIZE}",
                self.segment_size
            )));
        }
        if self.max_record_size == 0 || self.max_record_size > MAX_RECORD_SIZE_LIMIT {
            return Err(WalError::InvalidOptions(format!(
                "max_record_size {} must be between 1 and {MAX_RECORD_SIZE_LIMIT}",
                self.max_record_size
            )));
        }
        Ok(())
    }
}

/// A sync of the log started by [`Wal::begin_sync`], run without holding the log.
pub struct SyncJob {
    id: u64,
    files: Vec<Arc<dyn IoFile>>,
    upto: Lsn,
    name: String,
}

impl SyncJob {
    /// Fsyncs the job's segments (blocking on the disk).
    pub fn run(&self) -> io::Result<()> {
        for f in &self.files {
            f.sync_data()?;
        }
        Ok(())
    }

    /// The last LSN the job makes durable.
    pub fn upto(&self) -> Lsn {
        self.upto
    }
}

impl fmt::Debug for SyncJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncJob")
            .field("upto", &self.upto)
            .finish_non_exhaustive()
    }
}

/// A segment of the open log.
#[derive(Debug, Clone)]
struct Segment {
    first_lsn: Lsn,
    name: String,
    /// Offset after the last frame; only maintained for segments before the current one.
    end: u64,
}

/// The commit log; see the [module docs](self).
pub struct Wal {
    io: Arc<dyn Io>,
    dir: PathBuf,
    opts: WalOptions,
    /// Oldest first; the last one is the current segment.
    segments: Vec<Segment>,
    current: Arc<dyn IoFile>,
    /// Length of the current segment file.
    capacity: u64,
    /// Where the next frame goes in the current segment.
    write_offset: u64,
    next_lsn: Lsn,
    durable_lsn: Lsn,
    /// Handles of earlier segments written since the last sync.
    unsynced: Vec<Arc<dyn IoFile>>,
    current_dirty: bool,
    /// Syncs started by [`Wal::begin_sync`] and not yet finished: their id and files.
    inflight: Vec<(u64, Vec<Arc<dyn IoFile>>)>,
    next_sync_id: u64,
    /// The first write or fsync failure, as (message, kind).
    poisoned: Option<(String, io::ErrorKind)>,
    buf: Vec<u8>,
}

impl fmt::Debug for Wal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wal")
            .field("dir", &self.dir)
            .field("segments", &self.segments.len())
            .field("next_lsn", &self.next_lsn)
            .field("durable_lsn", &self.durable_lsn)
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

/// A failed segment creation: whether it left the log untouched, or the directory in an
/// unknown state.
struct CreateError {
    error: WalError,
    poison: bool,
}

/// Creates segment `first_lsn` of `size` bytes: a temporary file filled with the header and
/// zeros, fsynced, renamed into place, then the directory fsynced.
fn create_segment(
    io: &dyn Io,
    dir: &Path,
    first_lsn: Lsn,
    size: u64,
) -> Result<Box<dyn IoFile>, CreateError> {
    create_segment_with(io, dir, first_lsn, size, &[])
}

/// [`create_segment`] with `frames` (pieces written one after another) after the header in
/// place of zeros (a segment of its own for one large record: its bytes are written once, not
/// zeros first, and not copied into a frame buffer).
fn create_segment_with(
    io: &dyn Io,
    dir: &Path,
    first_lsn: Lsn,
    size: u64,
    frames: &[&[u8]],
) -> Result<Box<dyn IoFile>, CreateError> {
    let name = format::segment_name(first_lsn);
    let tmp = dir.join(format::temp_name(first_lsn));
    let path = dir.join(&name);
    let fill = || -> io::Result<Box<dyn IoFile>> {
        let file = io.open(&tmp, OpenOptions::create_truncate())?;
        let header = format::encode_segment_header(first_lsn);
        if frames.is_empty() {
            write_zeros(&*file, 0, size, &header)?;
        } else {
            file.write_at(0, &header)?;
            let mut off = SEGMENT_HEADER_LEN as u64;
            for piece in frames {
                file.write_at(off, piece)?;
                off += piece.len() as u64;
            }
            write_zeros(&*file, off, size, &[])?;
        }
        file.sync_data()?;
        io.rename(&tmp, &path)?;
        Ok(file)
    };
    let file = match fill() {
        Ok(file) => file,
        Err(e) => {
            // Best effort: a leftover temporary file is removed by the next open anyway.
            let _ = io.remove_file(&tmp);
            return Err(CreateError {
                error: WalError::io(format!("creating log segment {}", path.display()), e),
                poison: false,
            });
        }
    };
    if let Err(e) = io.sync_dir(dir) {
        return Err(CreateError {
            error: WalError::io(
                format!("syncing the log directory after creating {name}"),
                e,
            ),
            poison: true,
        });
    }
    Ok(file)
}

/// Writes zeros over `from..to` of `file` in pieces of [`ZERO_CHUNK`], the first piece
/// starting with `head`.
fn write_zeros(file: &dyn IoFile, from: u64, to: u64, head: &[u8]) -> io::Result<()> {
    let mut chunk = vec![0u8; (to.saturating_sub(from) as usize).min(ZERO_CHUNK)];
    if let Some(h) = chunk.get_mut(..head.len()) {
        h.copy_from_slice(head);
    }
    let mut off = from;
    while off < to {
        let n = (to - off).min(chunk.len() as u64) as usize;
        file.write_at(off, chunk.get(..n).unwrap_or_default())?;
        if off == from {
            chunk.iter_mut().take(head.len()).for_each(|b| *b = 0);
        }
        off += n as u64;
    }
    Ok(())
}

/// How one append call lays its frames out: a run of payloads per segment.
struct Chunk {
    /// `Some((first_lsn, size))` if this run starts a new segment.
    new_segment: Option<(Lsn, u64)>,
    start: usize,
    end: usize,
}

impl Wal {
    /// Opens the log in `dir` (creating the directory and a first segment if there is no log),
    /// runs recovery, and returns the log with a report of what recovery found and did.
    ///
    /// Fails with [`WalError::Foreign`] if the directory holds a file that is not a segment or
    /// a segment of another format, and with [`WalError::Corrupt`] if a record that had been
    /// made durable is damaged or missing; in both cases nothing on disk was changed.
    pub fn open(
        io: Arc<dyn Io>,
        dir: &Path,
        opts: WalOptions,
    ) -> Result<(Wal, RecoveryReport), WalError> {
        opts.validate()?;
        let recovered = recovery::recover(&io, dir)?;
        let mut report = recovered.report;
        let next_lsn = recovered.next_lsn;
        let mut segments: Vec<Segment> = recovered
            .segments
            .iter()
            .map(|s| Segment {
                first_lsn: s.first_lsn,
                name: s.name.clone(),
                end: s.end,
            })
            .collect();
        let (current, capacity, write_offset) = match recovered.segments.last() {
            Some(last) => {
                let path = dir.join(&last.name);
                let file = io
                    .open(&path, OpenOptions::read_write())
                    .map_err(|e| WalError::io(format!("opening {}", path.display()), e))?;
                (Arc::from(file), last.len, last.end)
            }
            None => {
                let file =
                    create_segment(&*io, dir, next_lsn, opts.segment_size).map_err(|e| e.error)?;
                segments.push(Segment {
                    first_lsn: next_lsn,
                    name: format::segment_name(next_lsn),
                    end: SEGMENT_HEADER_LEN as u64,
                });
                report.created = true;
                report.segments = 1;
                (
                    Arc::from(file),
                    opts.segment_size,
                    SEGMENT_HEADER_LEN as u64,
                )
            }
        };
        let wal = Wal {
            io,
            dir: dir.to_path_buf(),
            opts,
            segments,
            current,
            capacity,
            write_offset,
            next_lsn,
            durable_lsn: next_lsn - 1,
            unsynced: Vec::new(),
            current_dirty: false,
            inflight: Vec::new(),
            next_sync_id: 0,
            poisoned: None,
            buf: Vec::new(),
        };
        Ok((wal, report))
    }

    /// The LSN the next appended record gets.
    pub fn next_lsn(&self) -> Lsn {
        self.next_lsn
    }

    /// The last LSN known to be durable (0 if none).
    pub fn durable_lsn(&self) -> Lsn {
        self.durable_lsn
    }

    /// The LSN of the oldest record still in the log (equal to [`Wal::next_lsn`] if the log
    /// holds no record).
    pub fn first_lsn(&self) -> Lsn {
        self.segments.first().map_or(self.next_lsn, |s| s.first_lsn)
    }

    /// How many segment files the log has.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether an earlier write or fsync failed; see the [module docs](self).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.is_some()
    }

    fn check_poisoned(&self) -> Result<(), WalError> {
        match &self.poisoned {
            Some((cause, kind)) => Err(WalError::Poisoned {
                cause: cause.clone(),
                kind: *kind,
            }),
            None => Ok(()),
        }
    }

    fn poison(&mut self, error: WalError) -> WalError {
        if self.poisoned.is_none() {
            let kind = error.io_kind().unwrap_or(io::ErrorKind::Other);
            self.poisoned = Some((error.to_string(), kind));
        }
        error
    }

    /// Appends one record per payload, in order, and returns the LSN of the last one (or
    /// `next_lsn() - 1` if `payloads` is empty). The records are written to the file system but
    /// are not durable until [`Wal::sync`].
    ///
    /// All frames that fit in the current segment go out in one write; when a segment fills up,
    /// the rest goes to new segments, which are all created before anything is written.
    pub fn append(&mut self, payloads: &[&[u8]]) -> Result<Lsn, WalError> {
        self.check_poisoned()?;
        let max = self.opts.max_record_size;
        if let Some(p) = payloads.iter().find(|p| p.len() > max as usize) {
            return Err(WalError::RecordTooLarge { size: p.len(), max });
        }
        if payloads.is_empty() {
            return Ok(self.next_lsn - 1);
        }

        let mut chunks = vec![Chunk {
            new_segment: None,
            start: 0,
            end: 0,
        }];
        let mut pos = self.write_offset;
        let mut cap = self.capacity;
        for (i, p) in payloads.iter().enumerate() {
            let len = frame_len(p.len());
            if pos + len > cap {
                let size = self.opts.segment_size.max(SEGMENT_HEADER_LEN as u64 + len);
                let first = self.next_lsn + i as u64;
                chunks.push(Chunk {
                    new_segment: Some((first, size)),
                    start: i,
                    end: i,
                });
                pos = SEGMENT_HEADER_LEN as u64;
                cap = size;
            }
            pos += len;
            if let Some(c) = chunks.last_mut() {
                c.end = i + 1;
            }
        }

        // One record too large for a standard segment, with nothing before it in this call:
        // its own segment is created holding it (written and fsynced once, rather than zeros
        // first and the record after). Until the rename it is not part of the log; after it,
        // it holds the next record, complete.
        if let ([p], [first_chunk, second]) = (payloads, chunks.as_slice())
            && first_chunk.start == first_chunk.end
            && let Some((first, size)) = second.new_segment
            && size > self.opts.segment_size
        {
            let header = format::frame_header(first, self.durable_lsn, p);
            let file = match create_segment_with(&*self.io, &self.dir, first, size, &[&header, p]) {
                Ok(file) => file,
                Err(e) => return Err(self.undo_created(Vec::new(), e)),
            };
            self.rotate(first, size, file);
            self.write_offset = size;
            self.next_lsn += 1;
            return Ok(self.next_lsn - 1);
        }

        let mut created: Vec<(Lsn, u64, Box<dyn IoFile>)> = Vec::new();
        for (first, size) in chunks.iter().filter_map(|c| c.new_segment) {
            match create_segment(&*self.io, &self.dir, first, size) {
                Ok(file) => created.push((first, size, file)),
                Err(e) => return Err(self.undo_created(created, e)),
            }
        }

        let durable = self.durable_lsn;
        let mut created = created.into_iter();
        let mut buf = std::mem::take(&mut self.buf);
        let mut result = Ok(());
        for chunk in &chunks {
            if chunk.new_segment.is_some()
                && let Some((first, size, file)) = created.next()
            {
                self.rotate(first, size, file);
            }
            let Some(batch) = payloads.get(chunk.start..chunk.end) else {
                continue;
            };
            if batch.is_empty() {
                continue;
            }
            buf.clear();
            // Small frames are gathered in `buf` and written at once; a large payload is
            // written where it lies, after its header (copying megabytes into a buffer that
            // would then be dropped cost a fresh, zeroed allocation per large commit).
            let mut at = self.write_offset;
            let mut written = Ok(());
            for (i, p) in batch.iter().enumerate() {
                let lsn = self.next_lsn + i as u64;
                if p.len() < DIRECT_WRITE {
                    encode_frame(&mut buf, lsn, durable, p);
                    continue;
                }
                let header = format::frame_header(lsn, durable, p);
                let padding = frame_len(p.len()) as usize - header.len() - p.len();
                let pieces: [&[u8]; 4] = [&buf, &header, p, &[0; FRAME_ALIGN][..padding]];
                let mut from = at;
                written = pieces.iter().try_for_each(|piece| {
                    let r = write_nonempty(&*self.current, from, piece);
                    from += piece.len() as u64;
                    r
                });
                if written.is_err() {
                    break;
                }
                at += buf.len() as u64 + frame_len(p.len());
                buf.clear();
            }
            if let Err(e) = written.and_then(|()| write_nonempty(&*self.current, at, &buf)) {
                let name = self.segments.last().map_or("?", |s| s.name.as_str());
                let error = WalError::io(
                    format!(
                        "writing records {}..={} to segment {name} at offset {}",
                        self.next_lsn,
                        self.next_lsn + batch.len() as u64 - 1,
                        self.write_offset
                    ),
                    e,
                );
                result = Err(self.poison(error));
                break;
            }
            self.current_dirty = true;
            self.write_offset = at + buf.len() as u64;
            self.next_lsn += batch.len() as u64;
        }
        // Keep a reasonably sized buffer for the next call, not the largest batch ever seen.
        if buf.capacity() <= 4 * ZERO_CHUNK {
            self.buf = buf;
        }
        result.map(|()| self.next_lsn - 1)
    }

    /// Removes segments created by a failed append; returns the error to report.
    fn undo_created(
        &mut self,
        created: Vec<(Lsn, u64, Box<dyn IoFile>)>,
        e: CreateError,
    ) -> WalError {
        let mut error = e.error;
        let mut poison = e.poison;
        if !created.is_empty() {
            for (first, _, _) in created.into_iter().rev() {
                let path = self.dir.join(format::segment_name(first));
                if let Err(err) = self.io.remove_file(&path) {
                    poison = true;
                    error =
                        WalError::io(format!("removing unused segment {}", path.display()), err);
                    break;
                }
            }
            if !poison && let Err(err) = self.io.sync_dir(&self.dir) {
                poison = true;
                error = WalError::io("syncing the log directory after removing segments", err);
            }
        }
        if poison { self.poison(error) } else { error }
    }

    /// Makes `file` (a new, empty segment) the current segment.
    fn rotate(&mut self, first_lsn: Lsn, size: u64, file: Box<dyn IoFile>) {
        let old = std::mem::replace(&mut self.current, Arc::from(file));
        if self.current_dirty {
            self.unsynced.push(old);
        }
        if let Some(last) = self.segments.last_mut() {
            last.end = self.write_offset;
        }
        self.segments.push(Segment {
            first_lsn,
            name: format::segment_name(first_lsn),
            end: SEGMENT_HEADER_LEN as u64,
        });
        self.capacity = size;
        self.write_offset = SEGMENT_HEADER_LEN as u64;
        self.current_dirty = false;
    }

    /// Makes every record appended so far durable (`fdatasync` of each segment written since the
    /// last sync). On failure the log is poisoned.
    pub fn sync(&mut self) -> Result<(), WalError> {
        if let Some(job) = self.begin_sync()? {
            let result = job.run();
            self.finish_sync(job, result)?;
        }
        Ok(())
    }

    /// Starts a sync that can run without holding the log, so that appends (and further syncs)
    /// go on while it waits for the disk: [`SyncJob::run`] it, then [`Wal::finish_sync`].
    /// Returns `None` when everything appended is already durable.
    ///
    /// A job covers every record appended before it began: it fsyncs the segments written since
    /// the last sync and also those of syncs still in flight, so its success alone proves that
    /// (jobs may finish in any order).
    pub fn begin_sync(&mut self) -> Result<Option<SyncJob>, WalError> {
        self.check_poisoned()?;
        let upto = self.next_lsn - 1;
        if upto <= self.durable_lsn && self.inflight.is_empty() {
            return Ok(None);
        }
        let mut files: Vec<Arc<dyn IoFile>> = std::mem::take(&mut self.unsynced);
        if self.current_dirty {
            files.push(self.current.clone());
            self.current_dirty = false;
        }
        for (_, other) in &self.inflight {
            for f in other {
                if !files.iter().any(|g| Arc::ptr_eq(f, g)) {
                    files.push(f.clone());
                }
            }
        }
        let id = self.next_sync_id;
        self.next_sync_id += 1;
        self.inflight.push((id, files.clone()));
        let name = self
            .segments
            .last()
            .map_or_else(String::new, |s| s.name.clone());
        Ok(Some(SyncJob {
            id,
            files,
            upto,
            name,
        }))
    }

    /// Records the result of a [`SyncJob`]: on success every record up to the job's LSN is
    /// durable; on failure the log is poisoned.
    pub fn finish_sync(&mut self, job: SyncJob, result: io::Result<()>) -> Result<(), WalError> {
        self.inflight.retain(|(id, _)| *id != job.id);
        if let Err(e) = result {
            let error = WalError::io(format!("syncing log segment {}", job.name), e);
            return Err(self.poison(error));
        }
        self.check_poisoned()?;
        self.durable_lsn = self.durable_lsn.max(job.upto);
        Ok(())
    }

    /// Calls `f` with every record whose LSN is at least `from_lsn`, in LSN order, re-checking
    /// each record's checksum. Works right after [`Wal::open`] and after appends.
    pub fn replay<E: From<WalError>>(
        &self,
        from_lsn: Lsn,
        mut f: impl FnMut(Lsn, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let last_lsn = self.next_lsn - 1;
        for (i, seg) in self.segments.iter().enumerate() {
            let next = self.segments.get(i + 1);
            let seg_last = next.map_or(last_lsn, |n| n.first_lsn - 1);
            if seg_last < from_lsn.max(seg.first_lsn) {
                continue;
            }
            let end = if next.is_some() {
                seg.end
            } else {
                self.write_offset
            };
            let path = self.dir.join(&seg.name);
            let buf = self.read_segment(&path, end)?;
            let mut off = SEGMENT_HEADER_LEN;
            for lsn in seg.first_lsn..=seg_last {
                let frame = format::decode_frame(&buf, off)
                    .filter(|fr| fr.lsn == lsn)
                    .ok_or_else(|| WalError::Corrupt {
                        segment: seg.name.clone(),
                        offset: off as u64,
                        detail: format!("record LSN {lsn} no longer reads back intact"),
                    })?;
                if lsn >= from_lsn {
                    let payload = buf
                        .get(frame.payload_start..frame.payload_start + frame.payload_len)
                        .unwrap_or_default();
                    f(lsn, payload)?;
                }
                off += frame.len;
            }
        }
        Ok(())
    }

    fn read_segment(&self, path: &Path, end: u64) -> Result<Vec<u8>, WalError> {
        let ctx = || format!("reading log segment {}", path.display());
        let file = self
            .io
            .open(path, OpenOptions::read_only())
            .map_err(|e| WalError::io(ctx(), e))?;
        let len =
            usize::try_from(end).map_err(|_| WalError::io(ctx(), io::Error::other("too large")))?;
        let mut buf = vec![0u8; len];
        file.read_exact_at(0, &mut buf)
            .map_err(|e| WalError::io(ctx(), e))?;
        Ok(buf)
    }

    /// Deletes the oldest segments all of whose records have LSNs below `lsn` (after a
    /// checkpoint made them unnecessary); never the current segment. Returns how many were
    /// deleted. Each deletion is followed by a directory fsync, so that a crash can only leave a
    /// suffix of the segments, never a hole.
    pub fn remove_segments_before(&mut self, lsn: Lsn) -> Result<usize, WalError> {
        self.check_poisoned()?;
        let mut removed = 0;
        while self.segments.len() > 1 && self.segments.get(1).is_some_and(|s| s.first_lsn <= lsn) {
            let path = self.dir.join(&self.segments[0].name);
            self.io
                .remove_file(&path)
                .map_err(|e| WalError::io(format!("removing segment {}", path.display()), e))?;
            self.segments.remove(0);
            removed += 1;
            self.io.sync_dir(&self.dir).map_err(|e| {
                WalError::io(
                    format!(
                        "syncing the log directory after removing {}",
                        path.display()
                    ),
                    e,
                )
            })?;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use basalt_storage::io::{CrashMode, SimIo};

    fn open(io: &Arc<SimIo>, segment_size: u64) -> (Wal, RecoveryReport) {
        let opts = WalOptions {
            segment_size,
            ..WalOptions::default()
        };
        Wal::open(io.clone(), Path::new("/wal"), opts).unwrap()
    }

    fn all(wal: &Wal) -> Vec<(Lsn, Vec<u8>)> {
        let mut out = Vec::new();
        wal.replay(1, |lsn, p| -> Result<(), WalError> {
            out.push((lsn, p.to_vec()));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn new_log_starts_at_one_and_is_preallocated() {
        let io = Arc::new(SimIo::new());
        let (wal, report) = open(&io, 4096);
        assert!(report.created);
        assert_eq!(
            (wal.next_lsn(), wal.durable_lsn(), wal.segment_count()),
            (1, 0, 1)
        );
        let files = io.durable_files();
        let seg = &files[Path::new("/wal/00000000000000000001.wal")];
        assert_eq!(seg.len(), 4096);
        assert_eq!(&seg[..8], b"BASALTWL");
    }

    #[test]
    fn one_write_per_segment_and_rotation() {
        let io = Arc::new(SimIo::new());
        let faulty = Arc::new(basalt_storage::io::FaultyIo::new(io.clone()));
        let plan = faulty.plan().clone();
        let (mut wal, _) = Wal::open(
            faulty,
            Path::new("/wal"),
            WalOptions {
                segment_size: 1024,
                ..Default::default()
            },
        )
        .unwrap();
        let before = plan.writes();
        let p = [7u8; 100];
        assert_eq!(wal.append(&[&p, &p, &p]).unwrap(), 3);
        assert_eq!(
            plan.writes() - before,
            1,
            "three records that fit go out in one write"
        );
        // 3 frames of 136 bytes after the 32-byte header; the next 7 do not fit in 1024 bytes.
        let before = plan.writes();
        assert_eq!(wal.append(&[&p[..]; 7]).unwrap(), 10);
        assert_eq!(wal.segment_count(), 2);
        // One write into the old segment, one to preallocate the new one, one into it.
        assert_eq!(plan.writes() - before, 3);
        wal.sync().unwrap();
        assert_eq!(wal.durable_lsn(), 10);
        assert_eq!(all(&wal).len(), 10);
    }

    #[test]
    fn oversized_record_gets_its_own_segment_and_too_large_is_refused() {
        let io = Arc::new(SimIo::new());
        let (mut wal, _) = open(&io, 512);
        let big = vec![1u8; 2000];
        assert_eq!(wal.append(&[b"a", &big, b"b"]).unwrap(), 3);
        assert_eq!(wal.segment_count(), 3);
        wal.sync().unwrap();
        let got = all(&wal);
        assert_eq!(got[1], (2, big.clone()));
        drop(wal);
        let (wal, report) = open(&io, 512);
        assert_eq!(report.cut, None);
        assert_eq!(all(&wal).len(), 3);

        let opts = WalOptions {
            segment_size: 512,
            max_record_size: 100,
        };
        let (mut wal, _) = Wal::open(io.clone(), Path::new("/wal"), opts).unwrap();
        let err = wal.append(&[&big]).unwrap_err();
        assert!(matches!(
            err,
            WalError::RecordTooLarge {
                size: 2000,
                max: 100
            }
        ));
        assert!(!wal.is_poisoned());
        assert_eq!(wal.next_lsn(), 4);
    }

    #[test]
    fn a_lone_oversized_record_is_written_once_into_its_segment() {
        let io = Arc::new(SimIo::new());
        let (mut wal, _) = open(&io, 512);
        assert_eq!(wal.append(&[b"small"]).unwrap(), 1);
        wal.sync().unwrap();
        let before = io.files();
        let big: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        assert_eq!(wal.append(&[&big]).unwrap(), 2);
        assert_eq!(wal.segment_count(), 2);
        // The new segment is complete and durable before any sync: a crash keeps it.
        let seg = io
            .durable_files()
            .into_iter()
            .find(|(p, _)| !before.contains_key(p) && p.extension().is_some_and(|e| e == "wal"))
            .map(|(_, bytes)| bytes)
            .unwrap();
        assert_eq!(
            seg.len(),
            SEGMENT_HEADER_LEN + frame_len(big.len()) as usize
        );
        assert!(seg.windows(big.len()).any(|w| w == big.as_slice()));
        wal.sync().unwrap();
        assert_eq!(wal.durable_lsn(), 2);
        assert_eq!(wal.append(&[b"after"]).unwrap(), 3);
        wal.sync().unwrap();
        assert_eq!(all(&wal)[1], (2, big.clone()));
        drop(wal);
        io.crash(CrashMode::LoseUnsynced);
        let (wal, report) = open(&io, 512);
        assert_eq!(report.cut, None);
        let got = all(&wal);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], (2, big));
    }

    #[test]
    fn bad_options_are_refused() {
        let io: Arc<dyn Io> = Arc::new(SimIo::new());
        for opts in [
            WalOptions {
                segment_size: 100,
                ..Default::default()
            },
            WalOptions {
                segment_size: 1001,
                ..Default::default()
            },
            WalOptions {
                max_record_size: 0,
                ..Default::default()
            },
        ] {
            let err = Wal::open(io.clone(), Path::new("/w"), opts).unwrap_err();
            assert!(matches!(err, WalError::InvalidOptions(_)), "{err}");
        }
    }

    #[test]
    fn sqlstates() {
        use basalt_common::SqlState;
        let full = WalError::io("x", io::Error::new(io::ErrorKind::StorageFull, "full"));
        assert_eq!(full.sqlstate(), SqlState::DISK_FULL);
        assert_eq!(
            WalError::io("x", io::Error::other("eio")).sqlstate(),
            SqlState::IO_ERROR
        );
        let c = WalError::Corrupt {
            segment: "s".into(),
            offset: 0,
            detail: "d".into(),
        };
        assert_eq!(c.sqlstate(), SqlState::DATA_CORRUPTED);
        assert_eq!(
            WalError::Foreign("f".into()).sqlstate(),
            SqlState::DATA_CORRUPTED
        );
        let p = WalError::Poisoned {
            cause: "c".into(),
            kind: io::ErrorKind::StorageFull,
        };
        assert_eq!(p.sqlstate(), SqlState::DISK_FULL);
    }

    #[test]
    fn wal_is_send() {
        fn is_send<T: Send>() {}
        is_send::<Wal>();
    }
}
