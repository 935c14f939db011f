//! Bundles: runs carried from one journal to another as one self-checking file, as a CI job
//! hands its shard to the job that merges (`cargo exemplar journal export` / `journal
//! import`).
//!
//! A bundle has the layout of a segment ([`format`]) under its own magic, `EXBUNDLE`: the
//! 64-byte header (format major and minor, a random file id, BLAKE3 of the header), then
//! records framed and checked as in a segment (BLAKE3 over the file id and the frame). It
//! holds the definitions of the tests the runs' results name, the blobs (messages, output)
//! they point to, then each run's own records — its start, its results, its end — in the
//! order its journal had them, and last a [`BundleEnd`] that counts the records before it and
//! names the runs, so that a bundle cut at a frame boundary is known as cut. Sequence numbers
//! count from 1 within the bundle.
//!
//! Import reads the whole file before it writes anything: damage anywhere (a frame whose
//! checksum fails, a record that does not decode, a blob that does not match its address, a
//! cut-off end) refuses the file with its offset, and a newer major format is refused with
//! both versions. It then appends every run the journal does not have yet (by run id), with
//! the definitions and blobs it lacks; a run it has is left as it is, so importing a file
//! twice changes nothing. A run the journal pruned ([`crate::prune`]) is not brought back:
//! the import names it as pruned.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use crate::errors::{Result, StoreError, io};
use crate::format::{self, HEADER_LEN, Header, HeaderProblem};
use crate::index::Index;
use crate::journal::{JournalWriter, wal_dir};
use crate::lock::Contention;
use crate::records::{DesignPatched, Hash, Record, TestDef};
use crate::wal;
use crate::writer::WriterOptions;

/// The first bytes of a bundle.
pub const BUNDLE_MAGIC: &[u8; 8] = b"EXBUNDLE";

/// The kind of a bundle's last record, [`BundleEnd`]: a bundle cut at a frame boundary lacks
/// it. (No journal segment holds this kind.)
pub const BUNDLE_END: u16 = 0x0b0e;

/// A bundle's last record: how many records came before it, and the runs it carries.
#[derive(Debug, Clone, PartialEq, minicbor::Encode, minicbor::Decode)]
#[cbor(map)]
pub struct BundleEnd {
    /// Records before this one.
    #[n(0)]
    pub records: u64,
    /// The runs, in order.
    #[n(1)]
    pub runs: Vec<String>,
}

/// One run in a bundle: its id and its records (start, results, end), in log order.
#[derive(Debug, Clone, PartialEq)]
pub struct BundledRun {
    /// The run's id.
    pub run_id: String,
    /// Its records.
    pub records: Vec<Record>,
}

impl BundledRun {
    /// The run has its end record.
    pub fn complete(&self) -> bool {
        self.records.iter().any(|r| matches!(r, Record::RunEnd(_)))
    }
}

/// What a bundle holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bundle {
    /// The definitions of the tests the runs' results name.
    pub tests: Vec<TestDef>,
    /// The blobs the runs' results point to, by address.
    pub blobs: HashMap<Hash, Vec<u8>>,
    /// The runs.
    pub runs: Vec<BundledRun>,
    /// The design patches of the log, in log order (kept by a prune; an export carries runs
    /// only).
    pub patches: Vec<DesignPatched>,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportReport {
    /// The runs, in log order.
    pub runs: Vec<String>,
    /// Records written.
    pub records: u64,
    /// The file's size.
    pub bytes: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Runs appended to the journal.
    pub imported: Vec<String>,
    /// Runs the journal had already (left as they were).
    pub present: Vec<String>,
    /// Runs `journal prune` removed from the journal, not brought back.
    pub pruned: Vec<String>,
    /// Runs the journal holds without their end (an import or a run cut short) while the
    /// bundle holds them whole: not appended again (a run is one stretch of the log).
    pub incomplete: Vec<String>,
}

/// Read the runs of the journal at `journal` (all of them, or those named by `only`) with the
/// tests and blobs they need. A record of a kind this version does not know is refused with
/// its place (it could not be carried over faithfully), and a run written twice (ingested
/// again) is taken once, as the index takes it. The log is read twice (runs, then the blobs
/// they name); a log a prune replaced in between is refused, to be read again.
pub fn collect(journal: &Path, only: Option<&[String]>) -> Result<Bundle> {
    let wal = wal_dir(journal);
    let identity = crate::index::first_file_id(&wal)?;
    let mut runs = read_runs(&wal, only)?;
    if let Some(only) = only {
        let found: HashSet<&str> = runs.bundle.runs.iter().map(|r| r.run_id.as_str()).collect();
        if let Some(missing) = only.iter().find(|id| !found.contains(id.as_str())) {
            return Err(StoreError::NotFound(format!(
                "no run {missing} in {}",
                journal.display()
            )));
        }
    }
    let mut bundle = std::mem::take(&mut runs.bundle);
    bundle.tests = runs
        .needed_tests
        .iter()
        .filter_map(|id| runs.defs.remove(id))
        .collect();
    if !runs.needed_blobs.is_empty() {
        bundle.blobs = read_blobs(&wal, &runs.needed_blobs)?;
    }
    if crate::index::first_file_id(&wal)? != identity {
        return Err(StoreError::NotFound(format!(
            "the journal at {} was pruned while it was read: read it again",
            journal.display()
        )));
    }
    Ok(bundle)
}

/// What the first pass over the log found: the runs, every definition, and what the runs
/// need.
#[derive(Default)]
struct RunPass {
    bundle: Bundle,
    defs: HashMap<u64, TestDef>,
    needed_tests: BTreeSet<u64>,
    needed_blobs: BTreeSet<Hash>,
}

/// The runs of the log in `wal` (those of `only`, when given), each once.
fn read_runs(wal: &Path, only: Option<&[String]>) -> Result<RunPass> {
    let wanted: Option<HashSet<&str>> = only.map(|o| o.iter().map(String::as_str).collect());
    let wanted = |id: &str| wanted.as_ref().is_none_or(|w| w.contains(id));
    let mut pass = RunPass::default();
    let mut current: Option<usize> = None;
    let mut runs: HashMap<String, usize> = HashMap::new();
    let mut copies: HashSet<String> = HashSet::new();
    wal::read_from(wal, 1, None, &mut |scan, located| {
        let Some(record) = Record::decode(located.kind, located.seq, scan.payload(located))? else {
            return Err(StoreError::UnknownKind {
                segment: scan.path.clone(),
                offset: located.offset,
                kind: located.kind,
            });
        };
        let run_of = |id: &str| runs.get(id).copied().filter(|_| !copies.contains(id));
        match record {
            Record::Test(def) => {
                pass.defs.insert(def.id, def);
            }
            Record::RunStart(ref start) => {
                current = None;
                if runs.contains_key(&start.run_id) {
                    copies.insert(start.run_id.clone());
                } else if wanted(&start.run_id) {
                    pass.needed_blobs
                        .extend(start.missions.iter().filter_map(|m| m.design.map(|h| *h)));
                    current = Some(pass.bundle.runs.len());
                    runs.insert(start.run_id.clone(), pass.bundle.runs.len());
                    pass.bundle.runs.push(BundledRun {
                        run_id: start.run_id.clone(),
                        records: vec![record],
                    });
                }
            }
            Record::Result(ref r) => {
                if let Some(i) = current {
                    pass.needed_tests.insert(r.test);
                    pass.needed_blobs
                        .extend(r.message.iter().chain(&r.output).map(|h| **h));
                    pass.bundle.runs[i].records.push(record);
                }
            }
            Record::Outcome(ref o) => {
                if let Some(i) = run_of(&o.run_id) {
                    pass.needed_blobs
                        .extend(o.message.iter().chain(&o.output).map(|h| **h));
                    pass.bundle.runs[i].records.push(record);
                }
            }
            Record::RunEnd(ref end) => {
                if let Some(i) = run_of(&end.run_id) {
                    pass.needed_tests.extend(end.other_shards.iter().copied());
                    pass.bundle.runs[i].records.push(record);
                }
                current = None;
            }
            // Results after a gap belong to no known run.
            Record::Gap(_) => current = None,
            Record::DesignPatch(p) => pass.bundle.patches.push(p),
            Record::Blob(_) | Record::Pruned(_) => {}
        }
        Ok(())
    })?;
    Ok(pass)
}

/// The blobs of the log in `wal` that `needed` names.
fn read_blobs(wal: &Path, needed: &BTreeSet<Hash>) -> Result<HashMap<Hash, Vec<u8>>> {
    let mut out = HashMap::new();
    wal::read_from(wal, 1, None, &mut |scan, located| {
        if let Some(Record::Blob(b)) =
            Record::decode(located.kind, located.seq, scan.payload(located))?
            && needed.contains(&*b.hash)
        {
            out.insert(*b.hash, b.bytes);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Write `bundle` to `path`, atomically (a temporary file beside it, fsync, rename, fsync of
/// the folder).
pub fn write(bundle: &Bundle, path: &Path) -> Result<ExportReport> {
    let mut file_id = [0u8; 16];
    crate::writer::getrandom(&mut file_id);
    let header = Header {
        major: format::MAJOR,
        minor: format::MINOR,
        file_id,
        first_seq: 1,
        created_nanos: crate::writer::now_nanos(),
    };
    let mut out = header.encode_as(BUNDLE_MAGIC).to_vec();
    let mut seq = 0u64;
    let mut frame = |out: &mut Vec<u8>, r: &Record| {
        seq += 1;
        format::encode_frame(out, &file_id, r.kind(), seq, &r.encode());
    };
    for def in &bundle.tests {
        frame(&mut out, &Record::Test(def.clone()));
    }
    let mut hashes: Vec<&Hash> = bundle.blobs.keys().collect();
    hashes.sort();
    for h in hashes {
        frame(&mut out, &crate::records::blob(&bundle.blobs[h]).1);
    }
    for run in &bundle.runs {
        for r in &run.records {
            frame(&mut out, r);
        }
    }
    let end = BundleEnd {
        records: seq,
        runs: bundle.runs.iter().map(|r| r.run_id.clone()).collect(),
    };
    let payload = minicbor::to_vec(&end).unwrap_or_default();
    format::encode_frame(&mut out, &file_id, BUNDLE_END, seq + 1, &payload);
    write_atomic(path, &out)?;
    Ok(ExportReport {
        runs: bundle.runs.iter().map(|r| r.run_id.clone()).collect(),
        records: seq,
        bytes: out.len() as u64,
    })
}

/// Read and check the bundle at `path`, whole.
pub fn read(path: &Path) -> Result<Bundle> {
    let bytes = std::fs::read(path).map_err(io("cannot read", path))?;
    read_bytes(path, &bytes)
}

/// Check and read a bundle's `bytes`, whole; `path` names it in errors.
pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<Bundle> {
    let damaged = |offset: usize, detail: String| StoreError::BundleDamaged {
        path: path.to_owned(),
        offset: offset as u64,
        detail,
    };
    let header = match Header::decode_as(bytes, BUNDLE_MAGIC) {
        Ok(h) => h,
        Err(HeaderProblem::Magic) => {
            return Err(StoreError::NotABundle {
                path: path.to_owned(),
            });
        }
        Err(HeaderProblem::Newer { major, minor }) => {
            return Err(StoreError::NewerFormat {
                path: path.to_owned(),
                found_major: major,
                found_minor: minor,
                known_major: format::MAJOR,
            });
        }
        Err(HeaderProblem::Checksum) => {
            return Err(damaged(0, "the header's checksum fails".into()));
        }
    };
    let mut bundle = Bundle::default();
    let mut at = HEADER_LEN;
    let mut expected_seq = 1;
    let mut ended = false;
    while at < bytes.len() {
        let frame = format::decode_frame(&bytes[at..], &header.file_id)
            .map_err(|p| damaged(at, format!("{p:?}").to_lowercase()))?;
        if frame.seq != expected_seq || ended {
            return Err(damaged(
                at,
                format!("record {} where {expected_seq} was due", frame.seq),
            ));
        }
        if frame.kind == BUNDLE_END {
            let end: BundleEnd = minicbor::decode(frame.payload)
                .map_err(|e| damaged(at, format!("its end record does not decode: {e}")))?;
            let held: Vec<&str> = bundle.runs.iter().map(|r| r.run_id.as_str()).collect();
            if end.records != expected_seq - 1 || end.runs != held {
                return Err(damaged(
                    at,
                    "its end record does not match what it holds".into(),
                ));
            }
            ended = true;
            at += frame.len;
            expected_seq += 1;
            continue;
        }
        let record = Record::decode(frame.kind, frame.seq, frame.payload)
            .map_err(|e| damaged(at, e.to_string()))?;
        match record {
            Some(Record::Test(def)) => bundle.tests.push(def),
            Some(Record::Blob(b)) => {
                if *blake3::hash(&b.bytes).as_bytes() != *b.hash {
                    return Err(damaged(at, "a blob does not match its address".into()));
                }
                bundle.blobs.insert(*b.hash, b.bytes);
            }
            Some(Record::RunStart(start)) => bundle.runs.push(BundledRun {
                run_id: start.run_id.clone(),
                records: vec![Record::RunStart(start)],
            }),
            Some(r @ (Record::Result(_) | Record::Outcome(_) | Record::RunEnd(_))) => {
                let run = bundle
                    .runs
                    .last_mut()
                    .ok_or_else(|| damaged(at, "a run's record before any run start".into()))?;
                run.records.push(r);
            }
            Some(Record::Gap(_) | Record::Pruned(_) | Record::DesignPatch(_)) | None => {}
        }
        at += frame.len;
        expected_seq += 1;
    }
    if !ended {
        return Err(damaged(
            at,
            "cut short: the bundle ends before its end record".into(),
        ));
    }
    Ok(bundle)
}

/// Append the runs of `bundle` that the journal at `journal` does not have (with the tests
/// and blobs they need), as the journal's writer.
pub fn import(journal: &Path, bundle: &Bundle, contention: Contention) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    // Which runs the journal has is asked under its writer lock: two imports at once do not
    // both append a run.
    let mut w = JournalWriter::open(journal, contention, WriterOptions::default(), &mut |_| {})?;
    let standing: Vec<Standing> = {
        let index = Index::open(journal)?;
        let mut out = Vec::new();
        for run in &bundle.runs {
            let here = index.run(&run.run_id)?;
            out.push(
                if here.as_ref().is_some_and(|h| !h.complete()) && run.complete() {
                    Standing::Incomplete
                } else if here.is_some() {
                    Standing::Present
                } else if index.pruned_at(&run.run_id)?.is_some() {
                    Standing::Pruned
                } else {
                    Standing::New
                },
            );
        }
        out
    };
    let defs: HashMap<u64, &TestDef> = bundle.tests.iter().map(|d| (d.id, d)).collect();
    for (run, standing) in bundle.runs.iter().zip(standing) {
        match standing {
            Standing::Present => report.present.push(run.run_id.clone()),
            Standing::Pruned => report.pruned.push(run.run_id.clone()),
            Standing::Incomplete => report.incomplete.push(run.run_id.clone()),
            Standing::New => {}
        }
        if standing != Standing::New {
            continue;
        }
        for r in &run.records {
            let (tests, blobs) = needs(r);
            for id in tests {
                if let Some(def) = defs.get(&id) {
                    w.define_test((*def).clone())?;
                }
            }
            for h in blobs {
                if let Some(bytes) = bundle.blobs.get(&h) {
                    w.put_blob(bytes)?;
                }
            }
            w.append(r)?;
        }
        report.imported.push(run.run_id.clone());
    }
    w.flush()?;
    w.close()?;
    Ok(report)
}

/// Where a bundled run stands in the journal it is imported into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// The journal has it.
    Present,
    /// The journal had it and pruned it: a prune is not undone by an import.
    Pruned,
    /// The journal has it without its end, the bundle whole.
    Incomplete,
    /// The journal never had it.
    New,
}

/// The tests and blobs a record names.
fn needs(r: &Record) -> (Vec<u64>, Vec<Hash>) {
    match r {
        Record::Result(res) => (
            vec![res.test],
            res.message.iter().chain(&res.output).map(|h| **h).collect(),
        ),
        Record::Outcome(o) => (
            Vec::new(),
            o.message.iter().chain(&o.output).map(|h| **h).collect(),
        ),
        Record::RunEnd(end) => (end.other_shards.clone(), Vec::new()),
        _ => (Vec::new(), Vec::new()),
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(io("cannot create", &tmp))?;
        f.write_all(bytes).map_err(io("cannot write", &tmp))?;
        f.sync_all().map_err(io("cannot sync", &tmp))?;
        std::fs::rename(&tmp, path).map_err(io("cannot move into place", path))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    wal::sync_dir(dir)
}
