//! File IO behind a trait, so the commit log (and later other on-disk structures) runs on the real
//! file system, on a deterministic simulated disk, and with injected faults — the same code path in
//! all three.
//!
//! - [`Io`] / [`IoFile`]: what a log needs from a file system. Positional reads and writes (no
//!   shared cursor, so a file handle can be shared between threads), `fdatasync`, `set_len`, and
//!   directory operations including a directory fsync.
//! - [`OsIo`]: the real thing, over `std::fs` and `std::os::unix::fs::FileExt`.
//! - [`SimIo`]: an in-memory disk that models what survives a power failure (see below).
//! - [`FaultyIo`]: a wrapper over any [`Io`] that fails writes and fsyncs according to a shared
//!   [`FaultPlan`] and counts them. Wrapping a [`SimIo`] gives faults plus crashes; wrapping
//!   [`OsIo`] gives faults on a real disk.
//!
//! # The simulated disk
//! Every file (inode) has a *durable* image — what the platters hold — and a *volatile* image —
//! what the page cache holds and what reads see. Writes and `set_len` change the volatile image
//! and remember the written region as unsynced; [`IoFile::sync_data`] copies the unsynced
//! regions (and the length) to the durable image.
//!
//! Directory entries follow the same split: creating, removing and renaming a file change the
//! volatile namespace at once and reach the durable namespace only when the *parent directory* is
//! fsynced with [`Io::sync_dir`] — as on Linux, where an fsync of the file does not make its name
//! durable. A rename is durable once both parents are synced. Directories themselves
//! ([`Io::create_dir_all`]) are durable immediately, a simplification: nothing in Basalt creates
//! directories on a hot path.
//!
//! [`SimIo::crash`] is a power failure: the volatile state is thrown away, every open handle goes
//! stale (its operations fail), and the disk keeps
//! - [`CrashMode::LoseUnsynced`]: exactly the durable images and the durable namespace;
//! - [`CrashMode::TornWrites`]: the durable namespace, and for each file its durable image plus
//!   an arbitrary part of what was written since its last sync. Each unsynced write region is cut
//!   into 512-byte sectors; for each region a seeded generator keeps either a random prefix of its
//!   sectors or a random subset of them (the "pages reach the disk in any order" model). A sector
//!   is atomic: it holds either its old or its new content. The file length after the crash is
//!   either the synced or the unsynced length; bytes of a longer file that no kept sector covers
//!   read as zeros.
//!
//! The same [`SimIo`] can then be used again: reopen the files and run recovery.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

/// How to open a file (a subset of [`std::fs::OpenOptions`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Create the file if it does not exist (needs `write`).
    pub create: bool,
    /// Truncate the file to length 0 (needs `write`).
    pub truncate: bool,
}

impl OpenOptions {
    /// Read an existing file.
    pub fn read_only() -> Self {
        OpenOptions {
            read: true,
            ..Default::default()
        }
    }

    /// Read and write an existing file.
    pub fn read_write() -> Self {
        OpenOptions {
            read: true,
            write: true,
            ..Default::default()
        }
    }

    /// Read and write, creating the file if needed.
    pub fn create() -> Self {
        OpenOptions {
            read: true,
            write: true,
            create: true,
            truncate: false,
        }
    }

    /// Read and write, creating the file if needed and truncating it to length 0.
    pub fn create_truncate() -> Self {
        OpenOptions {
            read: true,
            write: true,
            create: true,
            truncate: true,
        }
    }
}

/// An open file. All offsets are absolute; there is no cursor.
pub trait IoFile: Send + Sync {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at end of file).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// Writes all of `data` at `offset`, extending the file if needed. On error, any prefix of
    /// `data` may have been written.
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()>;

    /// Makes the file's data and length durable (`fdatasync`).
    fn sync_data(&self) -> io::Result<()>;

    /// Truncates or extends (with zeros) the file to `len` bytes.
    fn set_len(&self, len: u64) -> io::Result<()>;

    /// The file's current length.
    fn len(&self) -> io::Result<u64>;

    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Fills `buf` from `offset`, failing with [`io::ErrorKind::UnexpectedEof`] if the file ends
    /// first.
    fn read_exact_at(&self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_at(offset, buf) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("file ended before offset {}", offset + buf.len() as u64),
                    ));
                }
                Ok(n) => {
                    let rest = std::mem::take(&mut buf);
                    buf = rest.get_mut(n..).unwrap_or_default();
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// A file system: files and directories addressed by path.
pub trait Io: Send + Sync {
    /// Opens (or creates) a file.
    fn open(&self, path: &Path, opts: OpenOptions) -> io::Result<Box<dyn IoFile>>;

    /// Removes a file. Durable once the parent directory is synced.
    fn remove_file(&self, path: &Path) -> io::Result<()>;

    /// Renames a file, replacing `to` if it exists. Durable once the parent directories are
    /// synced.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;

    /// The names of the entries of a directory, sorted.
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<OsString>>;

    /// Creates a directory and all its missing parents.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;

    /// Makes the directory's entries (creations, removals, renames) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;

    /// Whether a file or directory exists at `path`.
    fn exists(&self, path: &Path) -> io::Result<bool>;
}

// ------------------------------------------------------------------------------------------------
// The real file system.

/// The real file system, through `std::fs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsIo;

#[derive(Debug)]
struct OsFile {
    file: std::fs::File,
}

#[cfg(unix)]
impl IoFile for OsFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(&self.file, buf, offset)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.file, data, offset)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
}

#[cfg(unix)]
impl Io for OsIo {
    fn open(&self, path: &Path, opts: OpenOptions) -> io::Result<Box<dyn IoFile>> {
        let file = std::fs::OpenOptions::new()
            .read(opts.read)
            .write(opts.write)
            .create(opts.create)
            .truncate(opts.truncate)
            .open(path)?;
        Ok(Box::new(OsFile { file }))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            names.push(entry?.file_name());
        }
        names.sort();
        Ok(names)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        // Opening a directory read-only and fsyncing it is how Linux makes entries durable.
        std::fs::File::open(dir)?.sync_all()
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        path.try_exists()
    }
}

// ------------------------------------------------------------------------------------------------
// The simulated disk.

/// The sector size of the simulated disk: the unit that a torn write keeps or loses whole.
pub const SIM_SECTOR_SIZE: usize = 512;

/// What a simulated power failure keeps of unsynced writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// Everything not synced is lost; synced data is intact.
    LoseUnsynced,
    /// Synced data is intact; of each unsynced write region, a random prefix or a random subset
    /// of its 512-byte sectors survives, chosen by a generator seeded with `seed`.
    TornWrites {
        /// Seed of the deterministic generator that picks the surviving sectors.
        seed: u64,
    },
}

#[derive(Debug, Default, Clone)]
struct SimInode {
    durable: Vec<u8>,
    volatile: Vec<u8>,
    /// Unsynced regions of `volatile`, as (offset, length), in write order.
    dirty: Vec<(usize, usize)>,
}

impl SimInode {
    fn write(&mut self, offset: usize, data: &[u8]) {
        let end = offset + data.len();
        let old_len = self.volatile.len();
        if end > old_len {
            self.volatile.resize(end, 0);
            // The zero gap between the old end and `offset` is new content too.
            self.dirty.push((old_len, end - old_len));
        }
        if let Some(dst) = self.volatile.get_mut(offset..end) {
            dst.copy_from_slice(data);
        }
        self.dirty.push((offset, data.len()));
    }

    fn set_len(&mut self, len: usize) {
        let old_len = self.volatile.len();
        self.volatile.resize(len, 0);
        if len > old_len {
            self.dirty.push((old_len, len - old_len));
        }
    }

    fn sync(&mut self) {
        let len = self.volatile.len();
        self.durable.resize(len, 0);
        for (offset, n) in self.dirty.drain(..) {
            let end = (offset + n).min(len);
            if offset < end
                && let (Some(dst), Some(src)) = (
                    self.durable.get_mut(offset..end),
                    self.volatile.get(offset..end),
                )
            {
                dst.copy_from_slice(src);
            }
        }
    }

    /// The image a crash leaves behind.
    fn crash_image(&self, mode: CrashMode, rng: &mut SplitMix64) -> Vec<u8> {
        if mode == CrashMode::LoseUnsynced {
            return self.durable.clone();
        }
        let mut image = self.durable.clone();
        let len = if image.len() == self.volatile.len() || rng.coin() {
            self.volatile.len()
        } else {
            image.len()
        };
        image.resize(len, 0);
        for &(offset, n) in &self.dirty {
            if n == 0 {
                continue;
            }
            let first = offset / SIM_SECTOR_SIZE;
            let last = (offset + n - 1) / SIM_SECTOR_SIZE;
            let count = last - first + 1;
            let keep_prefix = rng.coin();
            let prefix = rng.below(count as u64 + 1) as usize;
            for i in 0..count {
                let keep = if keep_prefix { i < prefix } else { rng.coin() };
                if !keep {
                    continue;
                }
                let start = (first + i) * SIM_SECTOR_SIZE;
                let end = (start + SIM_SECTOR_SIZE).min(len).min(self.volatile.len());
                if start < end
                    && let (Some(dst), Some(src)) =
                        (image.get_mut(start..end), self.volatile.get(start..end))
                {
                    dst.copy_from_slice(src);
                }
            }
        }
        image
    }
}

#[derive(Debug, Default)]
struct SimState {
    /// Bumped by every crash; handles from an older epoch are stale.
    epoch: u64,
    next_inode: u64,
    inodes: BTreeMap<u64, SimInode>,
    names: BTreeMap<PathBuf, u64>,
    durable_names: BTreeMap<PathBuf, u64>,
    dirs: BTreeSet<PathBuf>,
}

impl SimState {
    fn dir_exists(&self, dir: &Path) -> bool {
        dir.as_os_str().is_empty() || dir.parent().is_none() || self.dirs.contains(dir)
    }

    fn check_parent(&self, path: &Path) -> io::Result<()> {
        match path.parent() {
            Some(parent) if !self.dir_exists(parent) => Err(not_found(parent)),
            _ => Ok(()),
        }
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file or directory", path.display()),
    )
}

fn to_usize(n: u64) -> io::Result<usize> {
    usize::try_from(n).map_err(|_| io::Error::other("offset does not fit in memory"))
}

/// A deterministic in-memory disk that models power failures; see the [module docs](self).
///
/// Cheap to share: clone the `Arc` you keep it in, call [`SimIo::crash`] on it while the code under
/// test holds it as `Arc<dyn Io>`.
#[derive(Debug, Default)]
pub struct SimIo {
    state: Arc<Mutex<SimState>>,
}

impl SimIo {
    /// An empty disk (only the root directory exists).
    pub fn new() -> Self {
        Self::default()
    }

    /// Simulates a power failure; see [`CrashMode`]. Open handles go stale.
    pub fn crash(&self, mode: CrashMode) {
        let mut st = self.state.lock();
        let mut rng = SplitMix64::new(match mode {
            CrashMode::LoseUnsynced => 0,
            CrashMode::TornWrites { seed } => seed,
        });
        st.epoch += 1;
        st.names = st.durable_names.clone();
        let live: BTreeSet<u64> = st.names.values().copied().collect();
        st.inodes.retain(|id, _| live.contains(id));
        for inode in st.inodes.values_mut() {
            let image = inode.crash_image(mode, &mut rng);
            *inode = SimInode {
                durable: image.clone(),
                volatile: image,
                dirty: Vec::new(),
            };
        }
    }

    /// What reads see now: the volatile image of every file, by path.
    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let st = self.state.lock();
        st.names
            .iter()
            .filter_map(|(path, id)| Some((path.clone(), st.inodes.get(id)?.volatile.clone())))
            .collect()
    }

    /// What a [`CrashMode::LoseUnsynced`] crash would leave: the durable namespace and images.
    pub fn durable_files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let st = self.state.lock();
        st.durable_names
            .iter()
            .filter_map(|(path, id)| Some((path.clone(), st.inodes.get(id)?.durable.clone())))
            .collect()
    }
}

impl Io for SimIo {
    fn open(&self, path: &Path, opts: OpenOptions) -> io::Result<Box<dyn IoFile>> {
        let mut st = self.state.lock();
        if st.dirs.contains(path) {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("{} is a directory", path.display()),
            ));
        }
        let id = match st.names.get(path) {
            Some(&id) => id,
            None if opts.create && opts.write => {
                st.check_parent(path)?;
                st.next_inode += 1;
                let id = st.next_inode;
                st.inodes.insert(id, SimInode::default());
                st.names.insert(path.to_path_buf(), id);
                id
            }
            None => return Err(not_found(path)),
        };
        if opts.truncate
            && opts.write
            && let Some(inode) = st.inodes.get_mut(&id)
        {
            inode.set_len(0);
        }
        Ok(Box::new(SimFile {
            state: Arc::clone(&self.state),
            inode: id,
            epoch: st.epoch,
            readable: opts.read,
            writable: opts.write,
        }))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.names
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.check_parent(to)?;
        if st.dirs.contains(to) {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("{} is a directory", to.display()),
            ));
        }
        let id = st.names.remove(from).ok_or_else(|| not_found(from))?;
        st.names.insert(to.to_path_buf(), id);
        Ok(())
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        let st = self.state.lock();
        if !st.dir_exists(dir) {
            return Err(not_found(dir));
        }
        let mut names: Vec<OsString> = st
            .names
            .keys()
            .chain(st.dirs.iter())
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name().map(|n| n.to_os_string()))
            .collect();
        names.sort();
        Ok(names)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        if st.names.contains_key(dir) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} is a file", dir.display()),
            ));
        }
        let mut cur = Some(dir);
        while let Some(d) = cur {
            if d.as_os_str().is_empty() || d.parent().is_none() {
                break;
            }
            st.dirs.insert(d.to_path_buf());
            cur = d.parent();
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        if !st.dir_exists(dir) {
            return Err(not_found(dir));
        }
        let affected: Vec<PathBuf> = st
            .names
            .keys()
            .chain(st.durable_names.keys())
            .filter(|p| p.parent() == Some(dir))
            .cloned()
            .collect();
        for path in affected {
            match st.names.get(&path).copied() {
                Some(id) => st.durable_names.insert(path, id),
                None => st.durable_names.remove(&path),
            };
        }
        Ok(())
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        let st = self.state.lock();
        Ok(st.names.contains_key(path) || st.dir_exists(path))
    }
}

struct SimFile {
    state: Arc<Mutex<SimState>>,
    inode: u64,
    epoch: u64,
    readable: bool,
    writable: bool,
}

impl SimFile {
    fn with_inode<R>(&self, f: impl FnOnce(&mut SimInode) -> io::Result<R>) -> io::Result<R> {
        let mut st = self.state.lock();
        let stale = || io::Error::other("stale file handle: the simulated machine crashed");
        if st.epoch != self.epoch {
            return Err(stale());
        }
        let inode = st.inodes.get_mut(&self.inode).ok_or_else(stale)?;
        f(inode)
    }

    fn check(allowed: bool, what: &str) -> io::Result<()> {
        if allowed {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("file not opened for {what}"),
            ))
        }
    }
}

impl IoFile for SimFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        Self::check(self.readable, "reading")?;
        self.with_inode(|inode| {
            let offset = to_usize(offset)?;
            let src = inode.volatile.get(offset..).unwrap_or_default();
            let n = src.len().min(buf.len());
            if let (Some(dst), Some(src)) = (buf.get_mut(..n), src.get(..n)) {
                dst.copy_from_slice(src);
            }
            Ok(n)
        })
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        Self::check(self.writable, "writing")?;
        self.with_inode(|inode| {
            inode.write(to_usize(offset)?, data);
            Ok(())
        })
    }

    fn sync_data(&self) -> io::Result<()> {
        self.with_inode(|inode| {
            inode.sync();
            Ok(())
        })
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        Self::check(self.writable, "writing")?;
        self.with_inode(|inode| {
            inode.set_len(to_usize(len)?);
            Ok(())
        })
    }

    fn len(&self) -> io::Result<u64> {
        self.with_inode(|inode| Ok(inode.volatile.len() as u64))
    }
}

/// A small deterministic generator (SplitMix64), enough to pick torn sectors.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }

    /// Uniform-enough in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

// ------------------------------------------------------------------------------------------------
// Fault injection.

/// A shared, thread-safe plan of faults for [`FaultyIo`], with counters of what went through it.
///
/// Counting starts at 0 when the plan is made; "the n-th write from now" means the n-th call to
/// [`IoFile::write_at`] on any file of the wrapped [`Io`] after the call that arms the fault.
#[derive(Debug, Default)]
pub struct FaultPlan {
    state: Mutex<PlanState>,
}

#[derive(Debug, Default)]
struct PlanState {
    writes: u64,
    syncs: u64,
    dir_syncs: u64,
    bytes_written: u64,
    injected: u64,
    /// (absolute write number, bytes to write before failing).
    fail_write: Option<(u64, usize)>,
    fail_sync: Option<u64>,
    fail_all_syncs: bool,
    fail_dir_syncs: bool,
    space_left: Option<u64>,
}

impl FaultPlan {
    /// A plan with no faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fails the `n`-th write from now (1 = the next one) after writing its first
    /// `written_prefix` bytes (0 = nothing written; a non-zero prefix is a torn write).
    pub fn fail_nth_write(&self, n: u64, written_prefix: usize) {
        let mut p = self.state.lock();
        p.fail_write = Some((p.writes + n.max(1), written_prefix));
    }

    /// Fails the `n`-th file fsync from now (1 = the next one). The failed fsync does not reach
    /// the wrapped `Io`, so its data stays unsynced (as after a real EIO, its fate is unknown).
    pub fn fail_nth_sync(&self, n: u64) {
        let mut p = self.state.lock();
        p.fail_sync = Some(p.syncs + n.max(1));
    }

    /// Fails every file fsync while `on`.
    pub fn fail_all_syncs(&self, on: bool) {
        self.state.lock().fail_all_syncs = on;
    }

    /// Fails every directory fsync while `on`.
    pub fn fail_dir_syncs(&self, on: bool) {
        self.state.lock().fail_dir_syncs = on;
    }

    /// Limits how many more bytes files may grow by (writes past their current end); `None`
    /// removes the limit. A write that would pass the budget writes the part that fits and fails
    /// with [`io::ErrorKind::StorageFull`] (ENOSPC). Overwrites inside a file never fail, and
    /// removing files gives nothing back (raise the budget instead).
    pub fn set_space_budget(&self, bytes: Option<u64>) {
        self.state.lock().space_left = bytes;
    }

    /// Removes every armed fault (counters are kept).
    pub fn clear_faults(&self) {
        let mut p = self.state.lock();
        p.fail_write = None;
        p.fail_sync = None;
        p.fail_all_syncs = false;
        p.fail_dir_syncs = false;
        p.space_left = None;
    }

    /// Calls to `write_at` so far (failed ones included).
    pub fn writes(&self) -> u64 {
        self.state.lock().writes
    }

    /// Calls to `sync_data` so far (failed ones included).
    pub fn syncs(&self) -> u64 {
        self.state.lock().syncs
    }

    /// Calls to `sync_dir` so far (failed ones included).
    pub fn dir_syncs(&self) -> u64 {
        self.state.lock().dir_syncs
    }

    /// Bytes handed to the wrapped `Io` by writes so far.
    pub fn bytes_written(&self) -> u64 {
        self.state.lock().bytes_written
    }

    /// How many faults have been injected so far.
    pub fn injected(&self) -> u64 {
        self.state.lock().injected
    }
}

/// An [`Io`] that forwards to another and injects the faults of a [`FaultPlan`].
pub struct FaultyIo {
    inner: Arc<dyn Io>,
    plan: Arc<FaultPlan>,
}

impl FaultyIo {
    /// Wraps `inner` with a fresh, empty plan.
    pub fn new(inner: Arc<dyn Io>) -> Self {
        Self::with_plan(inner, Arc::new(FaultPlan::new()))
    }

    /// Wraps `inner` with a shared plan.
    pub fn with_plan(inner: Arc<dyn Io>, plan: Arc<FaultPlan>) -> Self {
        FaultyIo { inner, plan }
    }

    /// The plan, to arm faults and read counters.
    pub fn plan(&self) -> &Arc<FaultPlan> {
        &self.plan
    }
}

impl Io for FaultyIo {
    fn open(&self, path: &Path, opts: OpenOptions) -> io::Result<Box<dyn IoFile>> {
        let inner = self.inner.open(path, opts)?;
        Ok(Box::new(FaultyFile {
            inner,
            plan: Arc::clone(&self.plan),
        }))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        self.inner.read_dir(dir)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.inner.create_dir_all(dir)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut p = self.plan.state.lock();
        p.dir_syncs += 1;
        if p.fail_dir_syncs {
            p.injected += 1;
            return Err(io::Error::other(format!(
                "injected fault: directory fsync #{} failed",
                p.dir_syncs
            )));
        }
        drop(p);
        self.inner.sync_dir(dir)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.inner.exists(path)
    }
}

struct FaultyFile {
    inner: Box<dyn IoFile>,
    plan: Arc<FaultPlan>,
}

impl IoFile for FaultyFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_at(offset, buf)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        // The plan lock is held across the inner write so that counting and budget stay exact
        // when several threads write; lock order is always plan, then inner.
        let mut p = self.plan.state.lock();
        p.writes += 1;
        let n = p.writes;
        if let Some((at, prefix)) = p.fail_write
            && at == n
        {
            p.fail_write = None;
            p.injected += 1;
            let prefix = prefix.min(data.len());
            if let Some(part) = data.get(..prefix)
                && !part.is_empty()
            {
                self.inner.write_at(offset, part)?;
                p.bytes_written += part.len() as u64;
            }
            return Err(io::Error::other(format!(
                "injected fault: write #{n} failed"
            )));
        }
        if let Some(left) = p.space_left {
            let cur = self.inner.len()?;
            let end = offset.saturating_add(data.len() as u64);
            let growth = end.saturating_sub(cur);
            if growth > left {
                let fits = (cur + left).saturating_sub(offset).min(data.len() as u64);
                let fits = usize::try_from(fits).unwrap_or(0);
                if let Some(part) = data.get(..fits)
                    && !part.is_empty()
                {
                    self.inner.write_at(offset, part)?;
                    p.bytes_written += part.len() as u64;
                }
                let used = (offset + fits as u64).saturating_sub(cur);
                p.space_left = Some(left.saturating_sub(used));
                p.injected += 1;
                return Err(io::Error::new(
                    io::ErrorKind::StorageFull,
                    "injected fault: no space left on device",
                ));
            }
            p.space_left = Some(left - growth);
        }
        self.inner.write_at(offset, data)?;
        p.bytes_written += data.len() as u64;
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut p = self.plan.state.lock();
        p.syncs += 1;
        let n = p.syncs;
        if p.fail_all_syncs || p.fail_sync == Some(n) {
            if p.fail_sync == Some(n) {
                p.fail_sync = None;
            }
            p.injected += 1;
            return Err(io::Error::other(format!(
                "injected fault: fsync #{n} failed"
            )));
        }
        drop(p);
        self.inner.sync_data()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }

    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    fn sim_with_dir() -> Arc<SimIo> {
        let sim = Arc::new(SimIo::new());
        sim.create_dir_all(&p("/d")).unwrap();
        sim
    }

    fn read_all(f: &dyn IoFile) -> Vec<u8> {
        let mut buf = vec![0; f.len().unwrap() as usize];
        f.read_exact_at(0, &mut buf).unwrap();
        buf
    }

    #[test]
    fn sim_unsynced_data_is_lost_and_synced_data_kept() {
        let sim = sim_with_dir();
        let f = sim.open(&p("/d/a"), OpenOptions::create()).unwrap();
        sim.sync_dir(&p("/d")).unwrap();
        f.write_at(0, b"hello").unwrap();
        f.sync_data().unwrap();
        f.write_at(5, b" world").unwrap();
        assert_eq!(read_all(&*f), b"hello world");
        sim.crash(CrashMode::LoseUnsynced);
        // The old handle is stale after the crash.
        assert!(f.write_at(0, b"x").is_err());
        let f = sim.open(&p("/d/a"), OpenOptions::read_only()).unwrap();
        assert_eq!(read_all(&*f), b"hello");
    }

    #[test]
    fn sim_names_need_a_directory_sync() {
        let sim = sim_with_dir();
        let f = sim.open(&p("/d/a"), OpenOptions::create()).unwrap();
        f.write_at(0, b"data").unwrap();
        f.sync_data().unwrap();
        sim.crash(CrashMode::LoseUnsynced);
        assert!(
            !sim.exists(&p("/d/a")).unwrap(),
            "creation was not made durable"
        );

        let f = sim.open(&p("/d/a"), OpenOptions::create()).unwrap();
        f.write_at(0, b"data").unwrap();
        f.sync_data().unwrap();
        sim.sync_dir(&p("/d")).unwrap();
        sim.rename(&p("/d/a"), &p("/d/b")).unwrap();
        assert_eq!(sim.read_dir(&p("/d")).unwrap(), vec![OsString::from("b")]);
        sim.crash(CrashMode::LoseUnsynced);
        assert_eq!(sim.read_dir(&p("/d")).unwrap(), vec![OsString::from("a")]);

        sim.rename(&p("/d/a"), &p("/d/b")).unwrap();
        sim.sync_dir(&p("/d")).unwrap();
        sim.remove_file(&p("/d/b")).unwrap();
        sim.crash(CrashMode::LoseUnsynced);
        let f = sim.open(&p("/d/b"), OpenOptions::read_only()).unwrap();
        assert_eq!(read_all(&*f), b"data");
        assert!(sim.open(&p("/d/a"), OpenOptions::read_only()).is_err());
    }

    #[test]
    fn sim_torn_writes_keep_whole_sectors_of_old_or_new_data() {
        let mut saw_partial = false;
        for seed in 0..200 {
            let sim = sim_with_dir();
            let f = sim.open(&p("/d/a"), OpenOptions::create()).unwrap();
            f.write_at(0, &vec![1u8; 8 * SIM_SECTOR_SIZE]).unwrap();
            f.sync_data().unwrap();
            sim.sync_dir(&p("/d")).unwrap();
            f.write_at(0, &vec![2u8; 8 * SIM_SECTOR_SIZE]).unwrap();
            sim.crash(CrashMode::TornWrites { seed });
            let f = sim.open(&p("/d/a"), OpenOptions::read_only()).unwrap();
            let data = read_all(&*f);
            assert_eq!(data.len(), 8 * SIM_SECTOR_SIZE);
            let mut new_sectors = 0;
            for sector in data.chunks(SIM_SECTOR_SIZE) {
                assert!(sector.iter().all(|&b| b == sector[0]), "sector torn inside");
                assert!(sector[0] == 1 || sector[0] == 2);
                new_sectors += usize::from(sector[0] == 2);
            }
            saw_partial |= new_sectors > 0 && new_sectors < 8;
        }
        assert!(saw_partial, "torn mode never kept a strict part of a write");
    }

    #[test]
    fn sim_torn_crash_is_deterministic() {
        let run = |seed| {
            let sim = sim_with_dir();
            let f = sim.open(&p("/d/a"), OpenOptions::create()).unwrap();
            sim.sync_dir(&p("/d")).unwrap();
            for i in 0..20u8 {
                f.write_at(u64::from(i) * 700, &[i; 700]).unwrap();
            }
            sim.crash(CrashMode::TornWrites { seed });
            sim.files()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn sim_sync_after_truncate_and_regrow_has_no_stale_bytes() {
        let sim = sim_with_dir();
        let f = sim.open(&p("/d/a"), OpenOptions::create()).unwrap();
        sim.sync_dir(&p("/d")).unwrap();
        f.write_at(0, &[9; 100]).unwrap();
        f.sync_data().unwrap();
        f.set_len(10).unwrap();
        f.write_at(50, b"x").unwrap();
        f.sync_data().unwrap();
        sim.crash(CrashMode::LoseUnsynced);
        let data = sim.files().remove(&p("/d/a")).unwrap();
        let mut expected = vec![9; 10];
        expected.resize(50, 0);
        expected.push(b'x');
        assert_eq!(data, expected);
    }

    #[test]
    fn faulty_io_fails_the_planned_write_and_sync() {
        let sim = sim_with_dir();
        let io = FaultyIo::new(sim.clone());
        let plan = io.plan().clone();
        let f = io.open(&p("/d/a"), OpenOptions::create()).unwrap();
        plan.fail_nth_write(2, 3);
        f.write_at(0, b"first").unwrap();
        let err = f.write_at(5, b"second").unwrap_err();
        assert!(err.to_string().contains("injected"));
        assert_eq!(read_all(&*f), b"firstsec", "the torn prefix was written");
        f.write_at(0, b"again").unwrap();
        assert_eq!(plan.writes(), 3);

        plan.fail_nth_sync(1);
        assert!(f.sync_data().is_err());
        f.sync_data().unwrap();
        plan.fail_all_syncs(true);
        assert!(f.sync_data().is_err());
        assert!(f.sync_data().is_err());
        plan.fail_all_syncs(false);
        f.sync_data().unwrap();
        assert_eq!(plan.syncs(), 5);
        plan.fail_dir_syncs(true);
        assert!(io.sync_dir(&p("/d")).is_err());
        assert_eq!(plan.injected(), 5);
    }

    #[test]
    fn faulty_io_reports_storage_full_past_the_budget() {
        let sim = sim_with_dir();
        let io = FaultyIo::new(sim.clone());
        let f = io.open(&p("/d/a"), OpenOptions::create()).unwrap();
        f.write_at(0, &[0; 100]).unwrap();
        io.plan().set_space_budget(Some(10));
        // Overwrites inside the file need no space.
        f.write_at(0, &[1; 100]).unwrap();
        f.write_at(100, &[2; 5]).unwrap();
        let err = f.write_at(105, &[3; 20]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        assert_eq!(f.len().unwrap(), 110, "the part that fit was written");
        assert_eq!(io.plan().write_budget_for_test(), Some(0));
        io.plan().set_space_budget(None);
        f.write_at(110, &[4; 20]).unwrap();
    }

    impl FaultPlan {
        fn write_budget_for_test(&self) -> Option<u64> {
            self.state.lock().space_left
        }
    }

    #[test]
    fn os_io_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let io = OsIo;
        let sub = dir.path().join("x/y");
        io.create_dir_all(&sub).unwrap();
        let a = sub.join("a");
        let f = io.open(&a, OpenOptions::create_truncate()).unwrap();
        f.write_at(3, b"abc").unwrap();
        f.sync_data().unwrap();
        assert_eq!(read_all(&*f), b"\0\0\0abc");
        f.set_len(4).unwrap();
        assert_eq!(f.len().unwrap(), 4);
        io.rename(&a, &sub.join("b")).unwrap();
        io.sync_dir(&sub).unwrap();
        assert_eq!(io.read_dir(&sub).unwrap(), vec![OsString::from("b")]);
        assert!(io.exists(&sub.join("b")).unwrap());
        assert!(!io.exists(&a).unwrap());
        io.remove_file(&sub.join("b")).unwrap();
        assert!(io.read_dir(&sub).unwrap().is_empty());
        let mut buf = [0u8; 8];
        let f = io.open(&sub.join("c"), OpenOptions::create()).unwrap();
        assert_eq!(
            f.read_exact_at(0, &mut buf).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }
}
