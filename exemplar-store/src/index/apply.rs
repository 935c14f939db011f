//! Writing a batch of WAL records into the index, in one write transaction.
//!
//! Each record kind has its own step. A [`Batch`] holds the open tables and what the batch has
//! learnt about its runs (when each started, which were ingested twice) while it applies them.

use std::collections::HashMap;
use std::path::Path;

use redb::{Database, ReadableTable, Table, WriteTransaction};

use super::commits::CommitCodes;
use super::{
    BLOBS, COMMITS, INDEX_MAJOR, INDEX_MINOR, META, PATCHES, PRUNED, RESULTS, RUN_ORDER, RUNS,
    RunRow, STAMPS, TEST_DEFS, db_err, results, rows,
};
use crate::errors::Result;
use crate::records::{Blob, Outcome, Record, RunEnd, RunStart, TestDef, TestResult};
use crate::wal::Resume;

/// A record to apply: its sequence number, the record, the first sequence number of its
/// segment, and the offset of its frame in that segment.
pub(super) type Pending = (u64, Record, u64, u64);

/// Apply `records` and note `last_seq` as applied (when above 0) with where the log was left
/// off, the index format and the owning WAL's id, all in one transaction.
pub(super) fn apply(
    db: &Database,
    path: &Path,
    records: &[Pending],
    (last_seq, resume): (u64, Option<Resume>),
    wal_id: Option<[u8; 16]>,
) -> Result<()> {
    let p = path;
    let tx = tri!(p, db.begin_write());
    {
        let mut batch = Batch::open(&tx, p)?;
        for (seq, rec, seg, offset) in records {
            batch.record(*seq, rec, *seg, *offset)?;
        }
        batch.write_results()?;
        batch.write_meta(last_seq, resume, wal_id)?;
    }
    tri!(p, tx.commit());
    Ok(())
}

/// The index's tables, open in one write transaction, and what the batch knows of its runs.
struct Batch<'txn, 'p> {
    path: &'p Path,
    meta: Table<'txn, &'static str, &'static [u8]>,
    runs: Table<'txn, &'static str, &'static [u8]>,
    order: Table<'txn, u64, &'static str>,
    defs: Table<'txn, u64, &'static [u8]>,
    results: Table<'txn, (u64, u32), &'static [u8]>,
    commits: Table<'txn, &'static str, &'static [u8]>,
    stamps: Table<'txn, &'static [u8], &'static [u8]>,
    blobs: Table<'txn, &'static [u8], &'static [u8]>,
    pruned: Table<'txn, &'static str, i64>,
    patches: Table<'txn, u64, &'static [u8]>,
    /// Run id → (started_at, start sequence); `None` for a run the index has no start for.
    started: HashMap<String, Option<(i64, u64)>>,
    /// Runs started twice (the same run ingested again) are applied once: later copies of
    /// their records are skipped.
    duplicate: HashMap<String, u64>,
    /// The run the compact results that follow belong to: the last started, until its end
    /// or a gap (`None`: results are dropped, their run unknown).
    current: Option<String>,
    /// Results applied in this batch, packed, by the sequence of their run's start.
    packed: HashMap<u64, Vec<u8>>,
    /// The sequence of a run's start → its commit, when clean (`None`: dirty or unknown).
    clean_commit: HashMap<u64, Option<String>>,
}

impl<'txn, 'p> Batch<'txn, 'p> {
    /// Open (creating when missing) every table of the index in `tx`.
    fn open(tx: &'txn WriteTransaction, path: &'p Path) -> Result<Self> {
        let p = path;
        Ok(Batch {
            path,
            meta: tri!(p, tx.open_table(META)),
            runs: tri!(p, tx.open_table(RUNS)),
            order: tri!(p, tx.open_table(RUN_ORDER)),
            defs: tri!(p, tx.open_table(TEST_DEFS)),
            results: tri!(p, tx.open_table(RESULTS)),
            commits: tri!(p, tx.open_table(COMMITS)),
            stamps: tri!(p, tx.open_table(STAMPS)),
            blobs: tri!(p, tx.open_table(BLOBS)),
            pruned: tri!(p, tx.open_table(PRUNED)),
            patches: tri!(p, tx.open_table(PATCHES)),
            started: HashMap::new(),
            duplicate: HashMap::new(),
            current: None,
            packed: HashMap::new(),
            clean_commit: HashMap::new(),
        })
        .and_then(|mut b| {
            let current = tri!(p, b.meta.get("current")).map(|v| v.value().to_vec());
            b.current = current
                .and_then(|c| String::from_utf8(c).ok())
                .filter(|c| !c.is_empty());
            Ok(b)
        })
    }

    /// Apply one record found at `offset` in the segment starting at sequence `seg`.
    fn record(&mut self, seq: u64, rec: &Record, seg: u64, offset: u64) -> Result<()> {
        match rec {
            Record::RunStart(r) => {
                self.current = Some(r.run_id.clone());
                self.run_start(seq, r)
            }
            Record::Outcome(o) => self.outcome(o),
            Record::Test(t) => self.test(t),
            Record::Result(r) => match self.current.clone() {
                Some(run) => self.result(&run, r),
                None => Ok(()),
            },
            Record::Blob(b) => self.blob(b, seg, offset),
            Record::RunEnd(e) => {
                if self.current.as_deref() == Some(e.run_id.as_str()) {
                    self.current = None;
                }
                self.run_end(e)
            }
            Record::Gap(_) => {
                // What was lost may have been a run's start: results after it have no run.
                self.current = None;
                Ok(())
            }
            Record::DesignPatch(patch) => {
                let p = self.path;
                let bytes = minicbor::to_vec(patch).unwrap_or_default();
                tri!(p, self.patches.insert(seq, bytes.as_slice()));
                Ok(())
            }
            Record::Pruned(pruned) => {
                let p = self.path;
                for r in &pruned.runs {
                    tri!(p, self.pruned.insert(r.run_id.as_str(), r.pruned_at));
                }
                Ok(())
            }
        }
    }

    /// The stored row of a run, if the index has one, without its fingerprints, and the key
    /// they are kept under.
    fn stored_run(&self, run_id: &str) -> Result<Option<([u8; 32], RunRow)>> {
        let p = self.path;
        Ok(tri!(p, self.runs.get(run_id)).and_then(|v| rows::split(v.value())))
    }

    /// A run's start: its row and its place in history. A run already stored is left as it
    /// is; when this start is another copy of it (another sequence), the copy is a duplicate.
    fn run_start(&mut self, seq: u64, r: &RunStart) -> Result<()> {
        let p = self.path;
        if let Some((_, existing)) = self.stored_run(&r.run_id)? {
            if existing.start_seq != seq {
                self.duplicate.insert(r.run_id.clone(), seq);
            }
            return Ok(());
        }
        let row = RunRow {
            run_id: r.run_id.clone(),
            started_at: r.started_at,
            ended_at: None,
            commit: r.commit.clone(),
            note: r.note.clone(),
            counts: Vec::new(),
            missions: r.missions.clone(),
            losses: Vec::new(),
            start_seq: seq,
            scope: r.scope.clone(),
            other_shards: Vec::new(),
        };
        let bytes = tri!(p, rows::encode(row, &mut self.stamps));
        tri!(p, self.runs.insert(r.run_id.as_str(), bytes.as_slice()));
        tri!(p, self.order.insert(seq, r.run_id.as_str()));
        self.started
            .insert(r.run_id.clone(), Some((r.started_at, seq)));
        Ok(())
    }

    /// When a run started and the sequence of its start record, remembered for the batch.
    fn run_started(&mut self, run_id: &str) -> Result<Option<(i64, u64)>> {
        if let Some(at) = self.started.get(run_id) {
            return Ok(*at);
        }
        let at = self
            .stored_run(run_id)?
            .map(|(_, r)| (r.started_at, r.start_seq));
        self.started.insert(run_id.to_owned(), at);
        Ok(at)
    }

    /// A test's outcome in the full form (the log's major 1): its test defined, its result
    /// kept with its run.
    fn outcome(&mut self, o: &Outcome) -> Result<()> {
        let def = TestDef::of(o);
        self.test(&def)?;
        self.result(&o.run_id, &TestResult::of(def.id, o))
    }

    /// A test's definition, kept once.
    fn test(&mut self, t: &TestDef) -> Result<()> {
        let p = self.path;
        if tri!(p, self.defs.get(t.id)).is_none() {
            let bytes = minicbor::to_vec(t).unwrap_or_default();
            tri!(p, self.defs.insert(t.id, bytes.as_slice()));
        }
        Ok(())
    }

    /// A result of run `run_id`, packed with its run's others. Results of duplicate runs, and
    /// of runs without a start, are skipped.
    fn result(&mut self, run_id: &str, r: &TestResult) -> Result<()> {
        if self.duplicate.contains_key(run_id) {
            return Ok(());
        }
        let Some((_, start_seq)) = self.run_started(run_id)? else {
            return Ok(());
        };
        if !self.clean_commit.contains_key(&start_seq) {
            let commit = self.stored_run(run_id)?.and_then(|(_, r)| r.commit);
            let clean = commit.filter(|c| !c.ends_with("+dirty"));
            self.clean_commit.insert(start_seq, clean);
        }
        results::push(self.packed.entry(start_seq).or_default(), r);
        Ok(())
    }

    /// Append the batch's packed results to their runs' chunks (new chunks after the run's
    /// last, each about a page, cut between results), and their codes to their clean
    /// commits' flaky scan.
    fn write_results(&mut self) -> Result<()> {
        let p = self.path;
        let mut commits: HashMap<String, CommitCodes> = HashMap::new();
        for (start_seq, new) in &self.packed {
            let Some(Some(commit)) = self.clean_commit.get(start_seq) else {
                continue;
            };
            if !commits.contains_key(commit) {
                let stored = tri!(p, self.commits.get(commit.as_str()));
                let codes = stored.map(|v| CommitCodes::decode(v.value()));
                commits.insert(commit.clone(), codes.unwrap_or_default());
            }
            let codes = commits.get_mut(commit).expect("inserted above");
            for r in results::all(new) {
                codes.set(*start_seq, r.test, r.outcome);
            }
        }
        for (commit, codes) in commits {
            tri!(
                p,
                self.commits
                    .insert(commit.as_str(), codes.encode().as_slice())
            );
        }
        for (start_seq, new) in std::mem::take(&mut self.packed) {
            let next = tri!(
                p,
                self.results.range((start_seq, 0)..=(start_seq, u32::MAX))
            )
            .next_back()
            .transpose();
            let first = match tri!(p, next) {
                Some((k, _)) => k.value().1 + 1,
                None => 0,
            };
            for (chunk, piece) in (first..).zip(results::chunks(&new)) {
                tri!(p, self.results.insert((start_seq, chunk), piece));
            }
        }
        Ok(())
    }

    /// Where a blob lives: the first sequence of its segment and its frame's offset, both
    /// little-endian. The first copy found is kept.
    fn blob(&mut self, b: &Blob, seg: u64, offset: u64) -> Result<()> {
        let p = self.path;
        let hash: &[u8] = &b.hash[..];
        if tri!(p, self.blobs.get(hash)).is_none() {
            let mut loc = Vec::with_capacity(16);
            loc.extend_from_slice(&seg.to_le_bytes());
            loc.extend_from_slice(&offset.to_le_bytes());
            tri!(p, self.blobs.insert(hash, loc.as_slice()));
        }
        Ok(())
    }

    /// A run's end: its counts and losses on its row. Ends of duplicate runs, and of runs
    /// without a start, are skipped.
    fn run_end(&mut self, e: &RunEnd) -> Result<()> {
        let p = self.path;
        if self.duplicate.contains_key(&e.run_id) {
            return Ok(());
        }
        let Some((design, mut row)) = self.stored_run(&e.run_id)? else {
            return Ok(());
        };
        row.ended_at = Some(e.ended_at);
        row.counts = e.counts.clone();
        row.losses = e.losses.clone();
        row.other_shards = e.other_shards.clone();
        let bytes = rows::join(&design, &row);
        tri!(p, self.runs.insert(e.run_id.as_str(), bytes.as_slice()));
        Ok(())
    }

    /// The meta table: the index format, the last sequence applied (once there is one) and
    /// the id of the WAL the index belongs to.
    fn write_meta(
        &mut self,
        last_seq: u64,
        resume: Option<Resume>,
        wal_id: Option<[u8; 16]>,
    ) -> Result<()> {
        let p = self.path;
        let mut fmt = Vec::with_capacity(8);
        fmt.extend_from_slice(&INDEX_MAJOR.to_le_bytes());
        fmt.extend_from_slice(&INDEX_MINOR.to_le_bytes());
        tri!(p, self.meta.insert("format", fmt.as_slice()));
        let applied = last_seq.to_le_bytes();
        if last_seq > 0 {
            tri!(p, self.meta.insert("applied", &applied[..]));
        }
        if let Some(id) = wal_id {
            tri!(p, self.meta.insert("wal_id", &id[..]));
        }
        if let Some(r) = resume {
            let mut at = Vec::with_capacity(16);
            at.extend_from_slice(&r.segment.to_le_bytes());
            at.extend_from_slice(&r.offset.to_le_bytes());
            tri!(p, self.meta.insert("resume", at.as_slice()));
        }
        let current = self.current.as_deref().unwrap_or("");
        tri!(p, self.meta.insert("current", current.as_bytes()));
        Ok(())
    }
}
