//! The journal as a whole: a folder holding `wal/` (the truth), `index.redb` (derived) and
//! `lock` (the writer lock). [`JournalWriter`] appends; [`open_index`] answers questions;
//! [`verify`] and [`repair`] look after the files.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use redb::{ReadableDatabase, ReadableTable};

use crate::errors::{Result, StoreError, io};
use crate::format::{self, HEADER_LEN, Header};
use crate::index::{BLOBS, Index, TEST_DEFS, db_err};
use crate::lock::{Contention, WriterLock};
use crate::records::{self, Gap, Hash, Record, TestDef, TestResult, kind};

use crate::segment::{self, End};
use crate::wal::{self, Recovery};
use crate::writer::{Writer, WriterOptions};

/// The WAL folder of a journal.
pub fn wal_dir(journal: &Path) -> PathBuf {
    journal.join("wal")
}

/// Open the index of a journal, caught up with its WAL. Never takes the writer lock.
pub fn open_index(journal: &Path) -> Result<Index> {
    Index::open(journal)
}

/// The single writer of a journal.
pub struct JournalWriter {
    dir: PathBuf,
    writer: Option<Writer>,
    blobs: HashSet<Hash>,
    tests: HashSet<u64>,
    /// What opening found and did (a torn tail truncated, where the log continues).
    pub recovery: Recovery,
    _lock: WriterLock,
}

impl JournalWriter {
    /// Take the writer lock, recover the WAL (truncating a torn tail), bring the index up to
    /// date, and start the group-commit writer. Mid-log corruption refuses the open.
    pub fn open(
        dir: &Path,
        contention: Contention,
        opts: WriterOptions,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<JournalWriter> {
        let wal = wal_dir(dir);
        // The log's folder is made only under the lock: made earlier, it could stand in the
        // way of a prune's swap that `settle` finishes.
        std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
        let lock = WriterLock::acquire(dir, contention, on_wait)?;
        crate::prune::settle(dir)?;
        std::fs::create_dir_all(&wal).map_err(io("cannot create", &wal))?;
        let recovery = wal::recover(&wal)?;
        // The index tells which blobs exist already. If a reader has it open right now, start
        // without that knowledge rather than wait: a blob stored twice costs space, not truth.
        // Likewise for the tests already defined: one defined twice is harmless (its id comes
        // from its content).
        // An index the disk will not let grow is left behind the log, to be caught up when
        // there is room: it must never stop the log from recording.
        let known =
            Index::try_open(dir).and_then(|index| Ok((known_blobs(&index)?, known_tests(&index)?)));
        let (blobs, tests) = match known {
            Ok(known) => known,
            Err(StoreError::IndexBusy { .. }) => (HashSet::new(), HashSet::new()),
            Err(e) if e.is_unwritable() => (HashSet::new(), HashSet::new()),
            Err(e) => return Err(e),
        };
        let writer = Writer::start(&wal, &recovery, opts)?;
        Ok(JournalWriter {
            dir: dir.to_owned(),
            writer: Some(writer),
            blobs,
            tests,
            recovery,
            _lock: lock,
        })
    }

    fn w(&self) -> &Writer {
        self.writer.as_ref().expect("the writer lives until close")
    }

    /// Queue a record; see [`Writer::append`].
    pub fn append(&mut self, record: &Record) -> Result<u64> {
        self.w().append(record)
    }

    /// Queue a record and wait until it is durable.
    pub fn append_durable(&mut self, record: &Record) -> Result<u64> {
        self.w().append_durable(record)
    }

    /// Queue a test's outcome in the compact form (it belongs to the run last started): the
    /// definition of its test (`result.test`) first, made by `define`, when the journal does
    /// not have it yet. Returns the result's sequence number.
    pub fn append_result(
        &mut self,
        result: &TestResult,
        define: impl FnOnce() -> TestDef,
    ) -> Result<u64> {
        if self.tests.insert(result.test) {
            self.w().append(&Record::Test(define()))?;
        }
        self.w().append(&Record::Result(*result))
    }

    /// Queue the definition of a test, when the journal does not have it yet (a test a run
    /// names without a result of it: one dealt to another shard).
    pub fn define_test(&mut self, def: TestDef) -> Result<()> {
        if self.tests.insert(def.id) {
            self.w().append(&Record::Test(def))?;
        }
        Ok(())
    }

    /// Store content once by its BLAKE3 address; returns the address.
    pub fn put_blob(&mut self, bytes: &[u8]) -> Result<Hash> {
        let hash = *blake3::hash(bytes).as_bytes();
        if self.blobs.insert(hash) {
            let (_, rec) = records::blob(bytes);
            self.w().append(&rec)?;
        }
        Ok(hash)
    }

    /// Wait until a record is durable.
    pub fn wait(&self, seq: u64) -> Result<()> {
        self.w().wait(seq)
    }

    /// Wait until everything appended is durable.
    pub fn flush(&self) -> Result<()> {
        self.w().flush()
    }

    /// The sequence number of the last durable record (after a failed write: the last one
    /// the log is sure to hold).
    pub fn durable(&self) -> u64 {
        self.w().durable()
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Flush, stop the writer, and bring the index up to date (best effort, without waiting:
    /// a busy or failing index is caught up by the next reader; the WAL has everything).
    /// Returns the error of an index the disk would not let grow, for the caller to tell.
    pub fn close(mut self) -> Result<Option<StoreError>> {
        if let Some(w) = self.writer.take() {
            w.close()?;
        }
        Ok(match Index::try_open(&self.dir) {
            Err(e) if e.is_unwritable() => Some(e),
            _ => None,
        })
    }
}

fn known_tests(index: &Index) -> Result<HashSet<u64>> {
    table_keys(index, TEST_DEFS, Some)
}

fn known_blobs(index: &Index) -> Result<HashSet<Hash>> {
    table_keys(index, BLOBS, |k: &[u8]| <[u8; 32]>::try_from(k).ok())
}

/// The keys of one of the index's tables, each as `key` makes it (`None`: left out).
fn table_keys<K, V, T>(
    index: &Index,
    table: redb::TableDefinition<K, V>,
    key: impl Fn(K::SelfType<'_>) -> Option<T>,
) -> Result<HashSet<T>>
where
    K: redb::Key + 'static,
    V: redb::Value + 'static,
    T: std::hash::Hash + Eq,
{
    let p = &index.path;
    let tx = index.db.begin_read().map_err(db_err(p))?;
    let t = tx.open_table(table).map_err(db_err(p))?;
    let mut out = HashSet::new();
    for item in t.iter().map_err(db_err(p))? {
        let (k, _) = item.map_err(db_err(p))?;
        out.extend(key(k.value()));
    }
    Ok(out)
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyReport {
    /// Segment files.
    pub segments: usize,
    /// Records whose checksum was verified.
    pub records: u64,
    /// Records by kind name.
    pub by_kind: BTreeMap<String, u64>,
    /// Bytes of all segments.
    pub bytes: u64,
    /// Blobs whose content matched their address.
    pub blobs: u64,
    /// Torn tail at the end of the last segment (truncated by the next writer).
    pub torn_tail: Option<(PathBuf, u64)>,
    /// The last sequence number.
    pub last_seq: u64,
}

/// Check every checksum of every segment, that every payload decodes, and that every blob
/// matches its address. Damage is an error naming segment and offset.
pub fn verify(journal: &Path) -> Result<VerifyReport> {
    if crate::prune::in_flux(journal) {
        crate::prune::settle_for_reader(journal)?;
    }
    let dir = wal_dir(journal);
    let mut rep = VerifyReport::default();
    for (_, path) in wal::segments(&dir)? {
        rep.segments += 1;
        rep.bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    }
    let mut problem: Option<StoreError> = None;
    let end = wal::read_from(&dir, 1, None, &mut |scan, loc| {
        rep.records += 1;
        let name = kind::name(loc.kind).unwrap_or("unknown");
        *rep.by_kind.entry(name.to_owned()).or_default() += 1;
        match Record::decode(loc.kind, loc.seq, scan.payload(loc)) {
            Ok(Some(Record::Blob(b))) => {
                if *blake3::hash(&b.bytes).as_bytes() == *b.hash {
                    rep.blobs += 1;
                } else if problem.is_none() {
                    problem = Some(StoreError::Corrupt {
                        segment: scan.path.clone(),
                        offset: loc.offset,
                        detail: "a blob's content does not match its address".into(),
                    });
                }
            }
            Ok(_) => {}
            Err(e) => {
                if problem.is_none() {
                    problem = Some(e);
                }
            }
        }
        Ok(())
    })?;
    if let Some(p) = problem {
        return Err(p);
    }
    rep.torn_tail = end.torn_tail;
    rep.last_seq = end.last_seq;
    Ok(rep)
}

/// What [`repair`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepairReport {
    /// Damaged segments moved aside: (original, where it went).
    pub moved: Vec<(PathBuf, PathBuf)>,
    /// Records kept from damaged segments.
    pub kept: u64,
    /// Sequence ranges lost (recorded in the log as gap records).
    pub lost: Vec<(u64, u64)>,
}

/// Move every damaged segment aside (to `wal/damaged/`) and replace it with a segment holding
/// every record that still validates, with a gap record standing in for each lost range; then
/// rebuild the index. Takes the writer lock, failing if a writer holds it.
pub fn repair(journal: &Path) -> Result<RepairReport> {
    let dir = wal_dir(journal);
    let _lock = WriterLock::acquire(journal, Contention::Fail, &mut |_| {})?;
    crate::prune::settle(journal)?;
    let segs = wal::segments(&dir)?;
    let mut rep = RepairReport::default();
    for (i, (first, path)) in segs.iter().enumerate() {
        let next_first = segs.get(i + 1).map(|(s, _)| *s);
        let data = std::fs::read(path).map_err(io("cannot read", path))?;
        let scan = segment::scan_bytes(path, data.clone());
        if is_damaged(&scan, next_first) {
            repair_segment(&dir, path, *first, next_first, &data, &mut rep)?;
        }
    }
    drop(Index::rebuild(journal)?);
    Ok(rep)
}

/// A frame to write: sequence number, kind, payload.
type FrameParts = (u64, u16, Vec<u8>);

/// Whether a segment needs repair: it is corrupt or unreadable, or it does not end where the
/// next segment (if any) begins. Files that are not segments, or of a newer format, are not
/// ours to repair.
fn is_damaged(scan: &Result<segment::Scan>, next_first: Option<u64>) -> bool {
    match scan {
        Ok(s) => match &s.end {
            End::Clean => next_first.is_some_and(|n| n != s.next_seq),
            End::TornTail { .. } => next_first.is_some(),
            End::Corrupt { .. } => true,
        },
        Err(StoreError::NotASegment { .. }) | Err(StoreError::NewerFormat { .. }) => false,
        Err(_) => true,
    }
}

/// Replace the damaged segment at `path` (its bytes: `data`; its first sequence: `first`) with
/// one holding what still validates, and note in `rep` what was kept, lost and moved aside.
fn repair_segment(
    dir: &Path,
    path: &Path,
    first: u64,
    next_first: Option<u64>,
    data: &[u8],
    rep: &mut RepairReport,
) -> Result<()> {
    // The file id as written, even if the header checksum is damaged.
    let mut file_id = [0u8; 16];
    if data.len() >= 32 {
        file_id.copy_from_slice(&data[16..32]);
    }
    let header = Header {
        major: format::MAJOR,
        minor: format::MINOR,
        file_id,
        first_seq: first,
        created_nanos: 0,
    };
    let salvaged = segment::salvage(data, &header);
    let reason = format!("lost with damaged segment {}", path.display());
    let out = resequence(salvaged, first, next_first, &reason, rep);
    let buf = repaired_bytes(&header, &out);
    let aside = replace_segment(dir, path, first, &buf)?;
    rep.moved.push((path.to_owned(), aside));
    debug_assert!(buf.len() >= HEADER_LEN);
    Ok(())
}

/// The salvaged frames from sequence `first` on, with gap records standing in for lost ranges
/// (up to the next segment's first sequence, when there is one); counts kept and lost in `rep`.
fn resequence(
    salvaged: Vec<FrameParts>,
    first: u64,
    next_first: Option<u64>,
    reason: &str,
    rep: &mut RepairReport,
) -> Vec<FrameParts> {
    let mut out: Vec<FrameParts> = Vec::new();
    let mut expect = first;
    for (seq, k, payload) in salvaged {
        if seq < expect {
            continue;
        }
        if seq > expect {
            out.push(gap_record(expect, seq - 1, reason, &mut rep.lost));
        }
        out.push((seq, k, payload));
        rep.kept += 1;
        expect = seq + 1;
    }
    if let Some(n) = next_first
        && n > expect
    {
        out.push(gap_record(expect, n - 1, reason, &mut rep.lost));
    }
    out
}

/// The bytes of the repaired segment: a fresh header with a file id derived from the damaged
/// one's (`damaged`), then `frames`.
fn repaired_bytes(damaged: &Header, frames: &[FrameParts]) -> Vec<u8> {
    let mut new_id = [0u8; 16];
    new_id.copy_from_slice(
        &blake3::hash(&[&damaged.file_id[..], b"repaired"].concat()).as_bytes()[..16],
    );
    let fresh = Header {
        major: format::MAJOR,
        minor: format::MINOR,
        file_id: new_id,
        first_seq: damaged.first_seq,
        created_nanos: damaged.created_nanos,
    };
    let mut buf = fresh.encode().to_vec();
    for (seq, k, payload) in frames {
        format::encode_frame(&mut buf, &new_id, *k, *seq, payload);
    }
    buf
}

/// Write `buf` durably beside the segment at `path`, move the segment to `wal/damaged/`
/// (suffixed with the time) and put `buf` in its place; returns where the segment went.
fn replace_segment(dir: &Path, path: &Path, first: u64, buf: &[u8]) -> Result<PathBuf> {
    let aside_dir = dir.join("damaged");
    std::fs::create_dir_all(&aside_dir).map_err(io("cannot create", &aside_dir))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let aside = aside_dir.join(format!(
        "{}.{stamp}",
        path.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    let tmp = dir.join(format!("{}.repair", wal::segment_name(first)));
    std::fs::write(&tmp, buf).map_err(io("cannot write", &tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io("cannot fsync", &tmp))?;
    std::fs::rename(path, &aside).map_err(io("cannot move", path))?;
    std::fs::rename(&tmp, path).map_err(io("cannot move", &tmp))?;
    wal::sync_dir(&aside_dir)?;
    wal::sync_dir(dir)?;
    Ok(aside)
}

/// The gap record standing in for lost records `from..=to`, noted in `lost`.
fn gap_record(from: u64, to: u64, reason: &str, lost: &mut Vec<(u64, u64)>) -> FrameParts {
    lost.push((from, to));
    let gap = Gap {
        from,
        to,
        reason: reason.to_owned(),
    };
    (from, kind::GAP, minicbor::to_vec(&gap).unwrap_or_default())
}
