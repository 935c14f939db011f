//! The derived index (redb): runs with their losses, the tests' definitions, each run's
//! results packed into one value (see `results`), the design fingerprints of each run, kept
//! once per distinct set (see `rows`), and where each blob lives in the WAL.
//!
//! The index is never the truth. It records the last WAL sequence number it applied and catches
//! up on open; it is deleted and rebuilt from the WAL when it is missing, damaged, of an older
//! format, or belongs to another WAL. A newer index format is refused (a newer cargo-exemplar
//! owns it). Applying is idempotent by run id: a run ingested twice is recorded once.
//!
//! Only short transactions hold the file: another process that finds it open waits briefly.
//! Opening and catching up live here; writing a batch of records into the tables lives in the
//! `apply` submodule, and the questions asked of the tables in [`crate::query`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use minicbor::{Decode, Encode};
use redb::{Database, DatabaseError, ReadableDatabase, ReadableTable, TableDefinition};

use crate::errors::{Result, StoreError};
use crate::records::{self, MissionLoss, MissionStamp, Record, RunScope};
use crate::segment::{Located, Scan};
use crate::wal::{self, Resume};

/// Index format: a different major is rebuilt (older) or refused (newer). Major 3 packed each
/// run's results and kept each test's definition once; 4 keeps the flaky scan per commit; 5
/// keeps the runs `journal prune` removed; 6 keys the loss history by run first, so a run's
/// losses are appended together instead of into a page per directive; 7 keeps the design
/// patches; 8 keeps each distinct set of design fingerprints once and a run's losses only on
/// its row (the loss history is read from the rows).
pub const INDEX_MAJOR: u32 = 8;
/// Index format minor.
pub const INDEX_MINOR: u32 = 0;

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Run id → its row (see `rows`).
pub(crate) const RUNS: TableDefinition<&str, &[u8]> = TableDefinition::new("runs");
/// BLAKE3 hash → a set of design fingerprints (CBOR [`MissionStamp`]s), shared by the rows of
/// the runs that started with it.
pub(crate) const STAMPS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("design_stamps");
// History is ordered by the WAL sequence of each run's start record: the order runs happened in,
// even within one second. Values are the runs' ids.
pub(crate) const RUN_ORDER: TableDefinition<u64, &str> = TableDefinition::new("run_order");
/// Test id → its definition (CBOR [`records::TestDef`]).
pub(crate) const TEST_DEFS: TableDefinition<u64, &[u8]> = TableDefinition::new("test_defs");
/// Clean commit → the outcome code of each test in each of its runs (see `commits`): the
/// flaky scan, kept up to date.
pub(crate) const COMMITS: TableDefinition<&str, &[u8]> = TableDefinition::new("commits");
/// (Sequence of a run's start, chunk number) → some of its results, packed (see `results`),
/// in chunks of about a page.
pub(crate) const RESULTS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("results");
pub(crate) const BLOBS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blobs");
/// Run id → when `journal prune` removed it (unix seconds).
pub(crate) const PRUNED: TableDefinition<&str, i64> = TableDefinition::new("pruned");
/// Sequence of a design patch record → the record (CBOR [`records::DesignPatched`]).
pub(crate) const PATCHES: TableDefinition<u64, &[u8]> = TableDefinition::new("design_patches");

/// A run as the index keeps it.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct RunRow {
    /// Run id.
    #[n(0)]
    pub run_id: String,
    /// Unix seconds.
    #[n(1)]
    pub started_at: i64,
    /// Unix seconds; `None` while (or because) the run has no end record.
    #[n(2)]
    pub ended_at: Option<i64>,
    /// Commit.
    #[n(3)]
    pub commit: Option<String>,
    /// Note.
    #[n(4)]
    pub note: Option<String>,
    /// passed, failed, ignored, crashed, timeout (from the end record).
    #[n(5)]
    pub counts: Vec<u64>,
    /// Design fingerprints at the start.
    #[n(6)]
    pub missions: Vec<MissionStamp>,
    /// Loss at the end.
    #[n(7)]
    pub losses: Vec<MissionLoss>,
    /// Sequence number of the start record.
    #[n(8)]
    pub start_seq: u64,
    /// Which tests the run meant to run.
    #[n(9)]
    pub scope: Option<RunScope>,
    /// Tests a partitioned run dealt to its other shards (see `RunEnd::other_shards`).
    #[n(10)]
    #[cbor(default)]
    pub other_shards: Vec<u64>,
}

impl RunRow {
    /// The run has its end record.
    pub fn complete(&self) -> bool {
        self.ended_at.is_some()
    }

    /// The shard this run is of a partitioned run (`hash:1/3`), if it is one.
    pub fn partition(&self) -> Option<&str> {
        self.scope.as_ref().and_then(|s| s.partition.as_deref())
    }
}

/// The bytes one table of the index takes (see [`Index::table_sizes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSize {
    /// The table's name.
    pub name: &'static str,
    /// Its bytes in the file.
    pub bytes: u64,
}

/// The key of a test across runs: mission and ref.
pub fn test_key(mission: &str, reference: &str) -> String {
    format!("{mission}\u{1f}{reference}")
}

/// What the meta table says: format (major, minor), last applied sequence, owning WAL's id.
type Meta = (Option<(u32, u32)>, u64, Option<Vec<u8>>);

/// An open index, caught up with the WAL.
pub struct Index {
    pub(crate) db: Database,
    pub(crate) path: PathBuf,
    /// Records applied by this open (0 when it was up to date).
    pub applied_now: u64,
    /// Whether this open rebuilt it from scratch.
    pub rebuilt: bool,
}

/// The error for a failure of the index database at `path`: a write the disk refused is
/// [`StoreError::IndexUnwritable`] (the index stays as it was); anything else, a read that
/// finds garbage included, is damage ([`StoreError::Index`]), which an open rebuilds.
pub(crate) fn db_err<E: Into<redb::Error>>(path: &Path) -> impl Fn(E) -> StoreError + '_ {
    move |e| match e.into() {
        redb::Error::Io(source) if crate::errors::is_unwritable(&source) => {
            StoreError::IndexUnwritable {
                path: path.to_owned(),
                source,
            }
        }
        // After a failed write (a full disk) redb refuses every later call of this handle:
        // the file holds what was committed before, so this is no damage to rebuild.
        redb::Error::PreviousIo => StoreError::IndexUnwritable {
            path: path.to_owned(),
            source: std::io::Error::other("an earlier write to the index failed"),
        },
        other => StoreError::Index {
            path: path.to_owned(),
            detail: other.to_string(),
        },
    }
}

macro_rules! tri {
    ($path:expr, $e:expr) => {
        $e.map_err(|e| db_err($path)(e))?
    };
}

mod apply;
pub(crate) mod commits;
mod compact;
mod memory;
pub(crate) mod results;
pub(crate) mod rows;
use apply::{Pending, apply};

impl Index {
    /// Open the index of the journal at `dir` and bring it up to date with its WAL, waiting
    /// (up to a minute) while another process has it open.
    /// On a disk that will not let the index be written (read-only, full), the index is
    /// caught up in memory instead: the answers are whole, and nothing is written.
    pub fn open(dir: &Path) -> Result<Index> {
        match Self::open_with(dir, false) {
            Err(e) if e.is_unwritable() => Self::open_in_memory(dir),
            other => other,
        }
    }

    /// Like [`Index::open`], but fail at once with [`StoreError::IndexBusy`] when another
    /// process has the index open. The writer uses this: readers never make it wait.
    pub fn try_open(dir: &Path) -> Result<Index> {
        NO_WAIT.with(|w| w.set(true));
        let r = Self::open_with(dir, false);
        NO_WAIT.with(|w| w.set(false));
        r
    }

    /// Delete the index and rebuild it from the WAL.
    pub fn rebuild(dir: &Path) -> Result<Index> {
        Self::open_with(dir, true)
    }

    fn open_with(dir: &Path, force_rebuild: bool) -> Result<Index> {
        // A prune that swaps logs while this reads may take a segment away under it, or the
        // log itself between its two renames: read again (settling the journal first, or
        // waiting for the pruner to). The index is then rebuilt from the new log (its first
        // segment is another file).
        let mut tries = 0;
        loop {
            if crate::prune::in_flux(dir) {
                crate::prune::settle_for_reader(dir)?;
            }
            match Self::open_attempt(dir, force_rebuild) {
                Err(StoreError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound && tries < 2 =>
                {
                    tries += 1;
                }
                other => return other,
            }
        }
    }

    fn open_attempt(dir: &Path, force_rebuild: bool) -> Result<Index> {
        // redb may panic on a damaged file instead of returning an error; the index is derived,
        // so a damaged one (error or panic) is deleted and rebuilt from the WAL.
        let attempt = std::panic::catch_unwind(|| Self::open_inner(dir, force_rebuild));
        match attempt {
            Ok(Ok(ix)) => Ok(ix),
            Ok(Err(e @ (StoreError::Index { .. } | StoreError::Decode { .. })))
                if !force_rebuild =>
            {
                let _ = e;
                Self::open_inner(dir, true)
            }
            Ok(Err(e)) => Err(e),
            Err(_) if !force_rebuild => Self::open_inner(dir, true),
            Err(_) => Err(StoreError::Index {
                path: dir.join("index.redb"),
                detail: "the index database failed while being rebuilt".into(),
            }),
        }
    }

    fn open_inner(dir: &Path, force_rebuild: bool) -> Result<Index> {
        let path = dir.join("index.redb");
        let (wal_dir, wal_id) = log_of(dir)?;
        let mut rebuilt = false;
        if force_rebuild {
            remove(&path)?;
            rebuilt = true;
        }
        let db = match open_db(&path)? {
            Some(db) => db,
            None => {
                rebuilt = true;
                recreate_db(&path)?
            }
        };
        let index = Index {
            db,
            path: path.clone(),
            applied_now: 0,
            rebuilt,
        };
        let index = index.settle(&wal_dir, wal_id, || recreate_db(&path))?;
        Ok(index)
    }

    /// The index of a journal whose disk will not let the index be written (read-only, full):
    /// its file copied into memory and caught up with the log there (see `memory`).
    fn open_in_memory(dir: &Path) -> Result<Index> {
        let path = dir.join("index.redb");
        let (wal_dir, wal_id) = log_of(dir)?;
        let copy = std::fs::read(&path).unwrap_or_default();
        let fresh = || memory_db(&path, Vec::new());
        // A copy that does not open (damaged) is started over, as the file would be.
        let db = memory_db(&path, copy).or_else(|_| fresh())?;
        let index = Index {
            db,
            path: path.clone(),
            applied_now: 0,
            rebuilt: false,
        };
        match index.settle(&wal_dir, wal_id, fresh) {
            Err(StoreError::Index { .. } | StoreError::Decode { .. }) => {
                let index = Index {
                    db: fresh()?,
                    path: path.clone(),
                    applied_now: 0,
                    rebuilt: true,
                };
                index.settle(&wal_dir, wal_id, fresh)
            }
            other => other,
        }
    }

    /// Check the index's format and the log it belongs to, start over (with a database from
    /// `fresh`) when they do not match, and catch up with the log.
    fn settle(
        mut self,
        wal_dir: &Path,
        wal_id: Option<[u8; 16]>,
        fresh: impl Fn() -> Result<Database>,
    ) -> Result<Index> {
        let (format, applied, owner) = self.meta()?;
        let stale = match format {
            None => {
                // A new (or unreadable, re-initialised) file: built from the WAL's start.
                self.rebuilt = true;
                false
            }
            Some((major, minor)) if major > INDEX_MAJOR => {
                return Err(StoreError::NewerIndex {
                    path: self.path,
                    found: format!("{major}.{minor}"),
                    known: format!("{INDEX_MAJOR}.{INDEX_MINOR}"),
                });
            }
            Some((major, _)) => major != INDEX_MAJOR,
        };
        let foreign = applied > 0 && owner.as_deref() != wal_id.as_ref().map(|i| &i[..]);
        if stale || foreign {
            let path = self.path.clone();
            drop(self);
            self = Index {
                db: fresh()?,
                path,
                applied_now: 0,
                rebuilt: true,
            };
        }
        self.catch_up(wal_dir, wal_id)?;
        if self.applied_now > 0 {
            self.compact_if_grown();
            if self.meta().is_err() {
                // A compaction the disk refused leaves this handle refusing every read after
                // it; the file still holds what was committed, so it is opened again.
                let (path, applied_now, rebuilt) =
                    (self.path.clone(), self.applied_now, self.rebuilt);
                drop(self);
                let db = open_db(&path)?.ok_or_else(|| StoreError::Index {
                    path: path.clone(),
                    detail: "cannot reopen the index after a failed compaction".into(),
                })?;
                self = Index {
                    db,
                    path,
                    applied_now,
                    rebuilt,
                };
            }
        }
        Ok(self)
    }

    fn meta(&self) -> Result<Meta> {
        let p = &self.path;
        let tx = tri!(p, self.db.begin_read());
        let t = match tx.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok((None, 0, None)),
            Err(e) => return Err(db_err(p)(e)),
        };
        let format = tri!(p, t.get("format")).map(|v| {
            let b = v.value();
            let major = u32::from_le_bytes(b[0..4].try_into().unwrap_or_default());
            let minor = u32::from_le_bytes(b[4..8].try_into().unwrap_or_default());
            (major, minor)
        });
        let applied = tri!(p, t.get("applied"))
            .map(|v| u64::from_le_bytes(v.value().try_into().unwrap_or_default()))
            .unwrap_or(0);
        let owner = tri!(p, t.get("wal_id")).map(|v| v.value().to_vec());
        Ok((format, applied, owner))
    }

    /// How many bytes each table of the index takes in its file (stored, metadata and
    /// fragmented pages together), for the benchmarks that hold the index to its log's size.
    pub fn table_sizes(&self) -> Result<Vec<TableSize>> {
        use redb::ReadableTableMetadata;
        let p = &self.path;
        let tx = tri!(p, self.db.begin_read());
        let mut out = Vec::new();
        macro_rules! size {
            ($name:literal, $def:expr) => {
                if let Ok(t) = tx.open_table($def) {
                    let st = tri!(p, t.stats());
                    out.push(TableSize {
                        name: $name,
                        bytes: st.stored_bytes() + st.metadata_bytes() + st.fragmented_bytes(),
                    });
                }
            };
        }
        size!("runs", RUNS);
        size!("run_order", RUN_ORDER);
        size!("test_defs", TEST_DEFS);
        size!("commits", COMMITS);
        size!("results", RESULTS);
        size!("design_stamps", STAMPS);
        size!("blobs", BLOBS);
        size!("design_patches", PATCHES);
        Ok(out)
    }

    /// The last WAL sequence number applied.
    pub fn applied(&self) -> Result<u64> {
        Ok(self.meta()?.1)
    }

    fn catch_up(&mut self, wal_dir: &Path, wal_id: Option<[u8; 16]>) -> Result<()> {
        let from = self.applied()? + 1;
        let mut pending: Vec<Pending> = Vec::new();
        let mut total = 0u64;
        let path = self.path.clone();
        let mut resume = None;
        {
            let mut on = |scan: &Scan, loc: &Located| -> Result<()> {
                let seg = scan.header.map(|h| h.first_seq).unwrap_or(0);
                resume = Some(Resume {
                    segment: seg,
                    offset: loc.offset + u64::from(loc.len),
                });
                let Some(rec) = Record::decode(loc.kind, loc.seq, scan.payload(loc))? else {
                    return Ok(());
                };
                pending.push((loc.seq, rec, seg, loc.offset));
                if pending.len() >= 20_000 {
                    total += pending.len() as u64;
                    // A batch that fails stops the reading: no later batch may build on it.
                    apply(&self.db, &path, &pending, (loc.seq, resume), wal_id)?;
                    pending.clear();
                }
                Ok(())
            };
            let stored = self.resume()?;
            let end = wal::read_from(wal_dir, from, stored, &mut on)?;

            if end.next_seq < from {
                // The index applied records the WAL no longer has (written, never fsynced, lost
                // with the machine): it describes a history that did not happen. Start over.
                return Err(StoreError::Index {
                    path: path.clone(),
                    detail: format!(
                        "the index has applied record {} but the log ends before it",
                        from - 1
                    ),
                });
            }
            if end.last_seq < from && end.resume != stored && self.meta()?.0.is_some() {
                // Up to date, but without a resume point yet (or a stale one): note it.
                apply(&self.db, &self.path, &[], (0, end.resume), wal_id)?;
                return Ok(());
            }
            if let Some(last) = (end.last_seq >= from).then_some(end.last_seq) {
                total += pending.len() as u64;
                apply(&self.db, &self.path, &pending, (last, resume), wal_id)?;
                self.applied_now = total;
                return Ok(());
            }
        }
        if self.meta()?.0.is_none() {
            apply(&self.db, &self.path, &[], (0, None), wal_id)?;
        }
        Ok(())
    }

    /// Where the last catch-up left off in the log, when the index knows.
    fn resume(&self) -> Result<Option<Resume>> {
        let p = &self.path;
        let tx = tri!(p, self.db.begin_read());
        let t = match tx.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(db_err(p)(e)),
        };
        Ok(tri!(p, t.get("resume")).and_then(|v| {
            let b = v.value();
            let segment = u64::from_le_bytes(b.get(0..8)?.try_into().ok()?);
            let offset = u64::from_le_bytes(b.get(8..16)?.try_into().ok()?);
            Some(Resume { segment, offset })
        }))
    }

    /// When `journal prune` removed run `run_id` from this journal, if it did (unix seconds).
    pub fn pruned_at(&self, run_id: &str) -> Result<Option<i64>> {
        let p = &self.path;
        let tx = tri!(p, self.db.begin_read());
        let t = tri!(p, tx.open_table(PRUNED));
        Ok(tri!(p, t.get(run_id)).map(|v| v.value()))
    }

    /// Every run `journal prune` removed from this journal, with when.
    pub fn pruned(&self) -> Result<Vec<records::PrunedRun>> {
        let p = &self.path;
        let tx = tri!(p, self.db.begin_read());
        let t = tri!(p, tx.open_table(PRUNED));
        let mut out = Vec::new();
        for item in tri!(p, t.iter()) {
            let (k, v) = tri!(p, item);
            out.push(records::PrunedRun {
                run_id: k.value().to_owned(),
                pruned_at: v.value(),
            });
        }
        Ok(out)
    }

    /// Every design patch of the journal, with its sequence number, in log order.
    pub fn design_patches(&self) -> Result<Vec<(u64, records::DesignPatched)>> {
        let p = &self.path;
        let tx = tri!(p, self.db.begin_read());
        let t = tri!(p, tx.open_table(PATCHES));
        let mut out = Vec::new();
        for item in tri!(p, t.iter()) {
            let (k, v) = tri!(p, item);
            let seq = k.value();
            let patch =
                minicbor::decode(v.value()).map_err(|e| crate::errors::StoreError::Decode {
                    kind: "design-patch",
                    seq,
                    detail: e.to_string(),
                })?;
            out.push((seq, patch));
        }
        Ok(out)
    }

    /// Look up a run.
    pub fn run(&self, run_id: &str) -> Result<Option<RunRow>> {
        let p = &self.path;
        let tx = tri!(p, self.db.begin_read());
        let t = tri!(p, tx.open_table(RUNS));
        let mut rows = rows::RowReader::new(tri!(p, tx.open_table(STAMPS)));
        match tri!(p, t.get(run_id)) {
            Some(v) => Ok(tri!(p, rows.row(v.value()))),
            None => Ok(None),
        }
    }
}

pub(crate) fn first_file_id(wal_dir: &Path) -> Result<Option<[u8; 16]>> {
    let segs = wal::segments(wal_dir)?;
    let Some((_, first)) = segs.first() else {
        return Ok(None);
    };
    let head = crate::segment::read_head(first)?;
    Ok(crate::format::Header::decode(&head).ok().map(|h| h.file_id))
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(crate::errors::io("cannot remove", path)(e)),
    }
}

/// The journal's log folder and the id of its first file (`None`: no log yet). A log in flux
/// (a prune's swap not finished, say because the disk turned read-only) is never taken for
/// an empty one, which would empty the index.
fn log_of(dir: &Path) -> Result<(PathBuf, Option<[u8; 16]>)> {
    let wal_dir = dir.join("wal");
    let wal_id = first_file_id(&wal_dir)?;
    if wal_id.is_none() && crate::prune::in_flux(dir) {
        return Err(crate::errors::io("cannot read", &wal_dir)(
            std::io::ErrorKind::NotFound.into(),
        ));
    }
    Ok((wal_dir, wal_id))
}

/// A database in memory, starting as `bytes` (see `memory`).
fn memory_db(path: &Path, bytes: Vec<u8>) -> Result<Database> {
    Database::builder()
        .create_with_backend(memory::MemoryCopy::of(bytes))
        .map_err(|e| db_err(path)(e))
}

/// Delete the index file and create an empty database in its place.
fn recreate_db(path: &Path) -> Result<Database> {
    remove(path)?;
    open_db(path)?.ok_or_else(|| StoreError::Index {
        path: path.to_owned(),
        detail: "cannot create the index".into(),
    })
}

thread_local! {
    static NO_WAIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Open (or create) the database, waiting while another process has it open (unless this
/// thread asked not to wait). `Ok(None)`: the file is damaged and must be rebuilt.
fn open_db(path: &Path) -> Result<Option<Database>> {
    let patience = if NO_WAIT.with(|w| w.get()) { 0 } else { 60 };
    let deadline = Instant::now() + Duration::from_secs(patience);
    loop {
        match Database::create(path) {
            Ok(db) => return Ok(Some(db)),
            Err(DatabaseError::DatabaseAlreadyOpen) => {
                if Instant::now() >= deadline {
                    return Err(StoreError::IndexBusy {
                        path: path.to_owned(),
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // A file cut short (a process killed while it created the index) or garbled reads
            // as invalid data: damage, rebuilt from the log like any other.
            Err(DatabaseError::Storage(redb::StorageError::Io(e)))
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
                ) =>
            {
                return Err(if crate::errors::is_unwritable(&e) {
                    StoreError::IndexUnwritable {
                        path: path.to_owned(),
                        source: e,
                    }
                } else {
                    crate::errors::io("cannot open", path)(e)
                });
            }
            Err(_) => return Ok(None),
        }
    }
}

/// Decode a test's definition.
pub(crate) fn test_def(bytes: &[u8]) -> Option<records::TestDef> {
    minicbor::decode(bytes).ok()
}
