//! The on-disk engine: one [redb](https://docs.rs/redb) file holding one table of
//! `&[u8] -> &[u8]`.
//!
//! redb is a copy-on-write B+tree. A commit writes new pages for everything it changes and then
//! switches the file's header to the new root; pages reachable from the last durable root are
//! never overwritten. Basalt uses it as follows.
//!
//! # Writes and durability
//! - [`Engine::write`] commits one redb write transaction with [`Durability::None`]: the batch
//!   becomes visible to every later read at once (redb transactions are atomic), but nothing is
//!   fsynced. Basalt's commit log already holds every batch durably, so paying an fsync per
//!   applied batch would buy nothing.
//! - [`Engine::sync`] commits an empty write transaction with [`Durability::Immediate`]. A durable
//!   commit persists the latest root, and with it every non-durable commit before it. This is
//!   what a checkpoint calls.
//!
//! # What a crash leaves
//! redb keeps two commit slots in its header and flips between them; each slot carries a
//! checksum, and a non-durable commit never becomes the on-disk primary slot. After a crash (of
//! the process or of the machine) the next [`RedbEngine::open`] therefore finds the state of the
//! **last durable commit**, i.e. of the last successful [`Engine::sync`]: every batch written
//! before it, none written after it, and never part of a batch. redb then repairs its allocator
//! state by walking the tree from that root (a cost proportional to the file size, paid only
//! after an unclean shutdown). The transaction layer replays its log from the checkpoint that
//! matches that sync, so the lost tail is rebuilt. A clean drop of the engine does persist the
//! last non-durable commits (redb flushes on close), but Basalt never relies on that.
//!
//! Pages of the last durable state that later non-durable commits replace cannot be reused before
//! the next durable commit (they are what a crash comes back to), so the file grows with the
//! amount of data touched since the last sync; syncing at checkpoints bounds that.
//!
//! # Reads
//! Every [`Engine::scan`] opens a redb read transaction, so each sees one committed state.
//! Point reads ([`Engine::get`], [`Engine::first_in`]) share one read transaction until the
//! next write or sync commits (opening a read transaction and its table costs more than a
//! point read itself); a view opened while a commit ran is not kept, so every read that starts
//! after a commit returned sees it. A redb read-only table keeps its transaction alive by reference counting, so
//! the iterators returned by scans and the [`Snapshot`]s own what they need and borrow nothing
//! from the engine. Reads on a snapshot or iterator that outlives its engine fail with an error
//! (redb closes the file when the [`redb::Database`] is dropped); they never see another state.
//!
//! # Errors and foreign files
//! redb's errors map to [`StorageError::Corrupt`] (checksum or structure failures),
//! [`StorageError::Io`], [`StorageError::Locked`] (the file is open elsewhere) and
//! [`StorageError::Engine`] for the rest. [`RedbEngine::open`] never writes to a file it cannot
//! open:
//! 1. It reads the first bytes and refuses, with [`StorageError::Foreign`], any non-empty file
//!    that does not start with redb's magic number.
//! 2. It then opens the file in a *dry run*: redb runs its whole open (including the recovery
//!    after an unclean shutdown, which rewrites the header and walks every page) over a backend
//!    that reads the real file and takes its locks but keeps every write in memory. redb
//!    rewrites the header of an unclean file before it has checked the pages, so without the dry
//!    run a damaged file (e.g. one cut short after a crash) would be modified by a failed open.
//! 3. Only when the dry run succeeds is the file opened for real.
//!
//! A panic inside redb while opening is caught and reported as [`StorageError::Corrupt`] (redb
//! trusts a cleanly closed file and may assert on one damaged outside it). An empty file is a new
//! database, as a missing one is. The dry run costs a few page reads on a cleanly closed file and
//! a second full walk after a crash.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Read};
use std::ops::Bound;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use redb::backends::FileBackend;
use redb::{
    BackendError, Builder, Database, Durability, ReadOnlyTable, ReadableDatabase, ReadableTable,
    StorageBackend, TableDefinition,
};

use crate::{
    Bounds, Direction, Engine, KeyRange, KvPair, Result, ScanIter, Snapshot, StorageError,
    WriteBatch, WriteOp, WriteSink, bounds_empty,
};

/// The single table holding every key.
const TABLE: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("basalt_kv");

/// The first bytes of every redb file (redb's file format, `tree_store/page_store/header.rs`).
const REDB_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

type Table = ReadOnlyTable<&'static [u8], &'static [u8]>;

/// An ordered key-value engine stored in one redb file. See the module docs for durability and
/// crash behaviour.
pub struct RedbEngine {
    /// The read view reused by reads until the next write (declared before `db`, so it is
    /// dropped first).
    reader: Mutex<CachedReader>,
    db: Database,
    path: PathBuf,
}

/// A read-only table shared by reads between two writes, and the write generation it was
/// opened in: opening a read transaction and the table costs more than a small read itself.
#[derive(Default)]
struct CachedReader {
    table: Option<std::sync::Arc<View>>,
    /// Bumped after every commit; a view opened in an older generation is not cached.
    generation: u64,
}

/// A read view and its first and last keys (`None` when empty), read once per view: a point
/// read outside them (an insert of a new key past the end, the common case of loading data)
/// answers without a B-tree search.
struct View {
    table: Table,
    bounds: Option<(Vec<u8>, Vec<u8>)>,
}

impl View {
    fn new(table: Table) -> Result<View> {
        let bounds = guarded("a read", || {
            let first = table.first().map_err(from_redb)?;
            let last = table.last().map_err(from_redb)?;
            Ok(match (first, last) {
                (Some((f, _)), Some((l, _))) => Some((f.value().to_vec(), l.value().to_vec())),
                _ => None,
            })
        })?;
        Ok(View { table, bounds })
    }

    /// Whether `range` may hold keys of this view.
    fn may_overlap(&self, range: Bounds<'_>) -> bool {
        let Some((first, last)) = &self.bounds else {
            return false;
        };
        let (start, end) = range;
        let after_last = match start {
            Bound::Included(s) => s > last.as_slice(),
            Bound::Excluded(s) => s >= last.as_slice(),
            Bound::Unbounded => false,
        };
        let before_first = match end {
            Bound::Included(e) => e < first.as_slice(),
            Bound::Excluded(e) => e <= first.as_slice(),
            Bound::Unbounded => false,
        };
        !after_last && !before_first
    }
}

impl std::fmt::Debug for RedbEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbEngine")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RedbEngine {
    /// Opens the redb file at `path`, creating it (or initialising an empty file) if needed.
    ///
    /// Fails with [`StorageError::Foreign`] if the file holds something other than a redb
    /// database (the file is then left untouched), [`StorageError::Corrupt`] if it is a damaged
    /// redb database, and [`StorageError::Locked`] if it is already open.
    pub fn open(path: &Path) -> Result<RedbEngine> {
        if check_magic(path)? {
            // Drops the dry-run database (releasing its locks) before the real open.
            dry_run_open(path)?;
        }
        let db = catch_redb_panic(path, || Database::create(path))?;
        let engine = RedbEngine {
            reader: Mutex::new(CachedReader::default()),
            db,
            path: path.to_path_buf(),
        };
        engine.ensure_table()?;
        Ok(engine)
    }

    /// The path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the table on first open, durably, so that read transactions can always open it.
    fn ensure_table(&self) -> Result<()> {
        let read = self.db.begin_read().map_err(from_redb)?;
        match read.open_table(TABLE) {
            Ok(_) => return Ok(()),
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(from_redb(e)),
        }
        drop(read);
        let txn = self.db.begin_write().map_err(from_redb)?;
        txn.open_table(TABLE).map_err(from_redb)?;
        txn.commit().map_err(from_redb)
    }

    fn table(&self) -> Result<Table> {
        let read = self.db.begin_read().map_err(from_redb)?;
        read.open_table(TABLE).map_err(from_redb)
    }

    /// The current read view: the cached one, or a new one cached unless a write committed
    /// while it was being opened (it might then predate that write).
    fn shared_table(&self) -> Result<std::sync::Arc<View>> {
        let generation = {
            let reader = self.reader.lock();
            if let Some(t) = &reader.table {
                return Ok(t.clone());
            }
            reader.generation
        };
        let table = std::sync::Arc::new(View::new(self.table()?)?);
        let mut reader = self.reader.lock();
        if reader.generation == generation {
            reader.table = Some(table.clone());
        }
        Ok(table)
    }

    /// After a commit: later reads must open a view that includes it.
    fn invalidate_reader(&self) {
        let mut reader = self.reader.lock();
        reader.generation += 1;
        reader.table = None;
    }
}

/// Refuses a non-empty file that does not start with redb's magic number, reading it only.
/// Returns whether the file holds something (so that a dry run is worth doing).
fn check_magic(path: &Path) -> Result<bool> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(StorageError::Io(e)),
    };
    let mut head = Vec::with_capacity(REDB_MAGIC.len());
    file.by_ref()
        .take(REDB_MAGIC.len() as u64)
        .read_to_end(&mut head)?;
    if head.is_empty() {
        return Ok(false);
    }
    if head != REDB_MAGIC {
        return Err(StorageError::Foreign(format!(
            "{} is not a redb database file (its first bytes are not redb's magic number)",
            path.display()
        )));
    }
    Ok(true)
}

/// Runs redb's open over [`DryRunBackend`], so that whatever the open would write stays in
/// memory; an error here leaves the file as it was.
fn dry_run_open(path: &Path) -> Result<()> {
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    let backend = DryRunBackend::new(file)?;
    let db = catch_redb_panic(path, || {
        Builder::new()
            .set_cache_size(DRY_RUN_CACHE)
            .create_with_backend(backend)
    })?;
    drop(db);
    Ok(())
}

/// Runs a redb open, mapping both its errors and its panics.
fn catch_redb_panic(
    path: &Path,
    open: impl FnOnce() -> std::result::Result<Database, redb::DatabaseError>,
) -> Result<Database> {
    catch_unwind(AssertUnwindSafe(open))
        .map_err(|_| {
            StorageError::Corrupt(format!(
                "{}: redb panicked while opening the file",
                path.display()
            ))
        })?
        .map_err(|e| open_error(path, e.into()))
}

/// Cache of the dry-run open: it reads each page at most once, so a large cache buys nothing.
const DRY_RUN_CACHE: usize = 4 << 20;

/// Granularity of the dry run's copy-on-write overlay.
const BLOCK: u64 = 4096;

/// A redb backend over a real file that reads from it and locks it like redb's own
/// [`FileBackend`], but keeps every write and length change in an in-memory overlay of
/// [`BLOCK`]-sized blocks. Nothing written through it reaches the file.
#[derive(Debug)]
struct DryRunBackend {
    file: FileBackend,
    overlay: Mutex<Overlay>,
}

#[derive(Debug)]
struct Overlay {
    /// The length redb sees.
    len: u64,
    /// Bytes of the real file below this offset are still visible (not cut by a `set_len`).
    base_len: u64,
    /// Blocks that have been written, by block index.
    blocks: HashMap<u64, Box<[u8]>>,
}

impl DryRunBackend {
    fn new(file: File) -> Result<Self> {
        let len = file.metadata()?.len();
        let file = FileBackend::new(file).map_err(from_redb)?;
        Ok(DryRunBackend {
            file,
            overlay: Mutex::new(Overlay {
                len,
                base_len: len,
                blocks: HashMap::new(),
            }),
        })
    }

    /// Block `index` as redb would see it in the file: overlay, else real bytes, else zeros.
    fn load_block(&self, o: &Overlay, index: u64) -> io::Result<Box<[u8]>> {
        if let Some(b) = o.blocks.get(&index) {
            return Ok(b.clone());
        }
        let mut buf = vec![0u8; BLOCK as usize].into_boxed_slice();
        let start = index * BLOCK;
        let real = o.base_len.saturating_sub(start).min(BLOCK) as usize;
        if real > 0 {
            self.file.read(start, &mut buf[..real])?;
        }
        Ok(buf)
    }
}

impl StorageBackend for DryRunBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.overlay.lock().len)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let o = self.overlay.lock();
        let end = offset
            .checked_add(out.len() as u64)
            .filter(|&e| e <= o.len)
            .ok_or_else(|| {
                io::Error::new(ErrorKind::UnexpectedEof, "read past the end of the file")
            })?;
        let mut pos = offset;
        while pos < end {
            let index = pos / BLOCK;
            let within = (pos % BLOCK) as usize;
            let n = ((BLOCK as usize) - within).min((end - pos) as usize);
            let dst = (pos - offset) as usize;
            match o.blocks.get(&index) {
                Some(b) => out[dst..dst + n].copy_from_slice(&b[within..within + n]),
                None => {
                    // Real bytes up to base_len, zeros after (as a grown file reads).
                    let real = o.base_len.saturating_sub(pos).min(n as u64) as usize;
                    if real > 0 {
                        self.file.read(pos, &mut out[dst..dst + real])?;
                    }
                    out[dst + real..dst + n].fill(0);
                }
            }
            pos += n as u64;
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut o = self.overlay.lock();
        if len < o.len {
            // Forget what lies past the new end, so that growing again reads zeros.
            o.blocks.retain(|&i, _| i * BLOCK < len);
            let index = len / BLOCK;
            let within = (len % BLOCK) as usize;
            if within > 0 {
                let mut b = self.load_block(&o, index)?;
                b[within..].fill(0);
                o.blocks.insert(index, b);
            }
            o.base_len = o.base_len.min(len);
        }
        o.len = len;
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut o = self.overlay.lock();
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(|| io::Error::new(ErrorKind::InvalidInput, "write past u64::MAX"))?;
        let mut pos = offset;
        while pos < end {
            let index = pos / BLOCK;
            let within = (pos % BLOCK) as usize;
            let n = ((BLOCK as usize) - within).min((end - pos) as usize);
            let src = (pos - offset) as usize;
            let mut b = self.load_block(&o, index)?;
            b[within..within + n].copy_from_slice(&data[src..src + n]);
            o.blocks.insert(index, b);
            pos += n as u64;
        }
        o.len = o.len.max(end);
        Ok(())
    }

    fn close(&self) -> io::Result<()> {
        self.file.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.file.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.query_lock_range(start, end)
    }
}

/// Maps an error from opening the file, naming the file.
fn open_error(path: &Path, e: redb::Error) -> StorageError {
    match from_redb(e) {
        StorageError::Corrupt(m) => StorageError::Corrupt(format!("{}: {m}", path.display())),
        // The magic number is there but the header is cut short.
        StorageError::Io(e) if e.kind() == ErrorKind::UnexpectedEof => {
            StorageError::Corrupt(format!(
                "{}: the file ends inside its header (truncated): {e}",
                path.display()
            ))
        }
        StorageError::Engine(m) => StorageError::Engine(format!("{}: {m}", path.display())),
        other => other,
    }
}

/// Maps any redb error into a [`StorageError`].
fn from_redb(e: impl Into<redb::Error>) -> StorageError {
    match e.into() {
        redb::Error::Corrupted(m) => StorageError::Corrupt(m),
        redb::Error::Io(e) => StorageError::Io(e),
        redb::Error::DatabaseAlreadyOpen => StorageError::Locked {
            holder: "another redb handle (this or another process)".into(),
        },
        redb::Error::UpgradeRequired(v) => {
            StorageError::Foreign(format!("redb file format version {v} needs an upgrade"))
        }
        redb::Error::TableTypeMismatch { table, key, value } => StorageError::Foreign(format!(
            "table {table} holds {} -> {}, not bytes -> bytes",
            key.name(),
            value.name()
        )),
        other => StorageError::Engine(other.to_string()),
    }
}

/// Runs a redb call, turning a panic (redb can panic on a damaged page rather than return an
/// error) into a corruption error, so bad data on disk never takes the process down.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(StorageError::Corrupt(format!(
            "the data file failed during {what} ({msg}); it may be damaged"
        )))
    })
}

fn get_in(table: &Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
    guarded("a read", || {
        Ok(table
            .get(key)
            .map_err(from_redb)?
            .map(|v| v.value().to_vec()))
    })
}

fn scan_in(table: &Table, range: KeyRange, direction: Direction) -> Result<ScanIter> {
    if range.is_empty() {
        // redb expects start <= end; an empty range yields nothing.
        return Ok(Box::new(std::iter::empty()));
    }
    let iter = guarded("a scan", || {
        table.range::<&[u8]>(range.as_slices()).map_err(from_redb)
    })?;
    let convert = |item: std::result::Result<_, redb::StorageError>| -> Result<KvPair> {
        let (k, v): (redb::AccessGuard<'_, &[u8]>, redb::AccessGuard<'_, &[u8]>) =
            item.map_err(from_redb)?;
        Ok((k.value().to_vec(), v.value().to_vec()))
    };
    Ok(match direction {
        Direction::Forward => {
            let mut iter = iter;
            Box::new(std::iter::from_fn(move || {
                guarded("a scan", || Ok(iter.next().map(convert))).unwrap_or_else(|e| Some(Err(e)))
            }))
        }
        Direction::Reverse => {
            let mut iter = iter;
            Box::new(std::iter::from_fn(move || {
                guarded("a scan", || Ok(iter.next_back().map(convert)))
                    .unwrap_or_else(|e| Some(Err(e)))
            }))
        }
    })
}

impl Engine for RedbEngine {
    fn name(&self) -> &'static str {
        "redb"
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let view = self.shared_table()?;
        get_in(&view.table, key)
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<ScanIter> {
        scan_in(&self.table()?, range, direction)
    }

    fn first_in(&self, range: Bounds<'_>, direction: Direction) -> Result<Option<KvPair>> {
        if bounds_empty(range) {
            return Ok(None);
        }
        let view = self.shared_table()?;
        if !view.may_overlap(range) {
            return Ok(None);
        }
        guarded("a read", || {
            let mut iter = view.table.range::<&[u8]>(range).map_err(from_redb)?;
            let found = match direction {
                Direction::Forward => iter.next(),
                Direction::Reverse => iter.next_back(),
            };
            match found {
                None => Ok(None),
                Some(item) => {
                    let (k, v) = item.map_err(from_redb)?;
                    Ok(Some((k.value().to_vec(), v.value().to_vec())))
                }
            }
        })
    }

    fn approximate_size(&self, range: Bounds<'_>) -> Result<u64> {
        if bounds_empty(range) {
            return Ok(0);
        }
        // redb keeps no sizes per key range (its branch pages hold no counts, and its table
        // statistics walk every page), so the leaves of the range are read, each pair's
        // lengths taken from the page without copying it.
        let view = self.shared_table()?;
        if !view.may_overlap(range) {
            return Ok(0);
        }
        guarded("a scan", || {
            let mut total = 0u64;
            for item in view.table.range::<&[u8]>(range).map_err(from_redb)? {
                let (k, v) = item.map_err(from_redb)?;
                total += (k.value().len() + v.value().len()) as u64;
            }
            Ok(total)
        })
    }

    fn write(&self, batch: WriteBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let result = guarded("a write", || self.write_unguarded(&batch));
        self.invalidate_reader();
        result
    }

    fn write_with(&self, fill: &mut dyn FnMut(&mut dyn WriteSink) -> Result<()>) -> Result<()> {
        let result = guarded("a write", || {
            let mut txn = self.db.begin_write().map_err(from_redb)?;
            txn.set_durability(Durability::None).map_err(from_redb)?;
            {
                let mut sink = RedbSink {
                    table: txn.open_table(TABLE).map_err(from_redb)?,
                };
                // On error the transaction is dropped, which aborts it: nothing lands.
                fill(&mut sink)?;
            }
            txn.commit().map_err(from_redb)
        });
        self.invalidate_reader();
        result
    }

    fn sync(&self) -> Result<()> {
        let result = guarded("a sync", || {
            let mut txn = self.db.begin_write().map_err(from_redb)?;
            txn.set_durability(Durability::Immediate)
                .map_err(from_redb)?;
            txn.commit().map_err(from_redb)
        });
        self.invalidate_reader();
        result
    }

    fn snapshot(&self) -> Result<Box<dyn Snapshot>> {
        Ok(Box::new(RedbSnapshot {
            table: self.table()?,
        }))
    }
}

impl RedbEngine {
    fn write_unguarded(&self, batch: &WriteBatch) -> Result<()> {
        let mut txn = self.db.begin_write().map_err(from_redb)?;
        txn.set_durability(Durability::None).map_err(from_redb)?;
        {
            let mut table = txn.open_table(TABLE).map_err(from_redb)?;
            for op in batch.ops() {
                // On error the transaction is dropped, which aborts it: nothing of the batch lands.
                match op {
                    WriteOp::Put(k, v) => {
                        table
                            .insert(k.as_slice(), v.as_slice())
                            .map_err(from_redb)?;
                    }
                    WriteOp::Delete(k) => {
                        table.remove(k.as_slice()).map_err(from_redb)?;
                    }
                }
            }
        }
        txn.commit().map_err(from_redb)
    }
}

/// [`Engine::write_with`]'s sink: each change goes into the open table as it comes, the value
/// written in place into the space redb reserves for it.
struct RedbSink<'t> {
    table: redb::Table<'t, &'static [u8], &'static [u8]>,
}

impl WriteSink for RedbSink<'_> {
    fn put(&mut self, key: &[u8], value: &[&[u8]]) -> Result<()> {
        let len = value.iter().map(|p| p.len()).sum();
        let mut slot = self.table.insert_reserve(key, len).map_err(from_redb)?;
        let mut at = 0;
        let dst = slot.as_mut();
        for part in value {
            dst[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.table.remove(key).map_err(from_redb)?;
        Ok(())
    }
}

/// A redb read transaction's view of the table.
struct RedbSnapshot {
    table: Table,
}

impl Snapshot for RedbSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        get_in(&self.table, key)
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<ScanIter> {
        scan_in(&self.table, range, direction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The overlay must read back exactly what a real file would after the same writes and
    /// length changes, and leave the real file alone.
    #[test]
    fn dry_run_backend_behaves_like_a_file_without_touching_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let original: Vec<u8> = (0..3 * BLOCK as usize + 100)
            .map(|i| (i % 253) as u8)
            .collect();
        std::fs::write(&path, &original).unwrap();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let backend = DryRunBackend::new(file).unwrap();
        let mut model = original.clone();

        let check = |backend: &DryRunBackend, model: &[u8]| {
            assert_eq!(backend.len().unwrap(), model.len() as u64);
            let mut all = vec![0u8; model.len()];
            backend.read(0, &mut all).unwrap();
            assert!(all == model, "overlay differs from the model");
            let mut past = [0u8; 2];
            let past_end = backend.read(model.len() as u64 - 1, &mut past).unwrap_err();
            assert_eq!(past_end.kind(), ErrorKind::UnexpectedEof);
        };

        // A write straddling two blocks.
        let data = vec![0xAB; 300];
        backend.write(BLOCK - 100, &data).unwrap();
        model[BLOCK as usize - 100..BLOCK as usize + 200].copy_from_slice(&data);
        check(&backend, &model);

        // Shrink into the middle of a block, then grow: the cut part reads as zeros.
        backend.set_len(BLOCK + 50).unwrap();
        model.truncate(BLOCK as usize + 50);
        check(&backend, &model);
        backend.set_len(5 * BLOCK).unwrap();
        model.resize(5 * BLOCK as usize, 0);
        check(&backend, &model);

        // A write past the end extends the file.
        backend.write(6 * BLOCK, b"tail").unwrap();
        model.resize(6 * BLOCK as usize, 0);
        model.extend_from_slice(b"tail");
        check(&backend, &model);

        backend.sync_data().unwrap();
        backend.close().unwrap();
        assert!(
            std::fs::read(&path).unwrap() == original,
            "the real file was modified"
        );
    }
}
