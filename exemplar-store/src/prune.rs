//! Retention: `journal prune` rewrites the log without the runs a [`Retention`] lets go.
//!
//! The kept runs are copied whole — their start, every result, their end — with the test
//! definitions and blobs they name, into a new log beside the old one (`wal.next/`). Its
//! first record is a [`Pruned`] list of every run pruned so far, so the index can tell a
//! later import of a pruned run for what it is. Its sequence numbers go on from where the old
//! log stopped, so no reader can take a segment of one log for a segment of the other. Once
//! the new log is written and fsynced, the two folders are swapped in one atomic
//! `renameat2(RENAME_EXCHANGE)` (`renamex_np(RENAME_SWAP)` on macOS); the old log is then
//! deleted and the index rebuilt.
//!
//! **A kill loses nothing that was to be kept.** Before the swap the old log is whole and is
//! the journal; after it the new one is, and it holds every kept record. Whatever a kill
//! leaves behind is settled by the next process that takes the writer lock ([`settle`]):
//! `wal.next/` is deleted in either case — before the swap it is an unfinished copy, after it
//! the old log. Where the swap cannot be atomic (other systems, file systems without it), it
//! is two renames (`wal` → `wal.old`, `wal.next` → `wal`), the first made only once the new
//! log is complete: a kill between them leaves no `wal/`, and [`settle`] finishes the move;
//! a reader that meets that state settles it (taking the lock) or waits for the pruner.
//!
//! What goes with a pruned run: its records, and the blobs and test definitions no kept run
//! names (content-addressed, so one a kept run shares stays). Its design stamps go too, so
//! `history` and the report's curves begin at the oldest kept run; the mission file's own
//! `history:` is not touched. A kept rerun keeps the runs it reran, so `--rerun-failed`
//! still sees its chain.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::bundle::{self, Bundle};
use crate::errors::{Result, StoreError, io};
use crate::index::{Index, RunRow};
use crate::journal::wal_dir;
use crate::lock::{Contention, WriterLock};
use crate::records::{Pruned, PrunedRun, Record};
use crate::wal::{self, Recovery};
use crate::writer::{Writer, WriterOptions};

/// Which runs a journal keeps. A run goes when any rule given lets it go; the latest run is
/// always kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Keep the latest this many runs.
    pub keep_runs: Option<usize>,
    /// Let go the runs started before this time (unix seconds).
    pub started_before: Option<i64>,
}

/// What a prune did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PruneReport {
    /// The runs removed, oldest first.
    pub pruned: Vec<String>,
    /// How many runs stay.
    pub kept: usize,
    /// Bytes of the log before.
    pub bytes_before: u64,
    /// Bytes of the log after (before, when nothing was pruned or the prune was dry).
    pub bytes_after: u64,
    /// Blobs the kept runs still name (the others went).
    pub blobs_kept: u64,
}

/// The runs of `runs` (in history order) that `retention` lets go: any rule that lets a run
/// go prunes it, the latest run stays, and a kept rerun keeps the runs it reran.
pub fn pruned_runs(runs: &[RunRow], retention: &Retention) -> Result<Vec<String>> {
    if retention.keep_runs.is_none() && retention.started_before.is_none() {
        return Err(StoreError::BadRetention(
            "no retention given: say how many runs to keep or how old a run may be".into(),
        ));
    }
    if retention.keep_runs == Some(0) {
        return Err(StoreError::BadRetention(
            "keeping 0 runs would prune the latest run, which is always kept".into(),
        ));
    }
    let cutoff = retention.started_before;
    let n = runs.len();
    let goes = |i: usize, r: &RunRow| {
        i + 1 < n
            && (retention.keep_runs.is_some_and(|k| i + k < n)
                || cutoff.is_some_and(|c| r.started_at < c))
    };
    let mut keep: HashSet<&str> = runs
        .iter()
        .enumerate()
        .filter(|(i, r)| !goes(*i, r))
        .map(|(_, r)| r.run_id.as_str())
        .collect();
    // A kept rerun keeps its chain (newest first, so a chain is followed to its root).
    let by_id: HashMap<&str, &RunRow> = runs.iter().map(|r| (r.run_id.as_str(), r)).collect();
    for r in runs.iter().rev() {
        if keep.contains(r.run_id.as_str())
            && let Some(parent) = r.scope.as_ref().and_then(|s| s.rerun_of.as_deref())
            && let Some(p) = by_id.get(parent)
        {
            keep.insert(p.run_id.as_str());
        }
    }
    Ok(runs
        .iter()
        .filter(|r| !keep.contains(r.run_id.as_str()))
        .map(|r| r.run_id.clone())
        .collect())
}

/// Prune the journal at `journal` as `retention` says (the tombstones dated `now`, unix
/// seconds); with `dry`, only say what would go. Takes the writer lock for the whole rewrite. A log with
/// damage is refused (repair it first), as is one holding records of a kind this version
/// does not know.
pub fn prune(
    journal: &Path,
    retention: &Retention,
    now: i64,
    dry: bool,
    contention: Contention,
    on_wait: &mut dyn FnMut(&str),
) -> Result<PruneReport> {
    let wal = wal_dir(journal);
    if dry {
        // A reader's look: no lock, nothing changed.
        let index = Index::open(journal)?;
        let runs = index.runs()?;
        let pruned = pruned_runs(&runs, retention)?;
        let bytes = log_bytes(&wal)?;
        return Ok(PruneReport {
            kept: runs.len() - pruned.len(),
            pruned,
            bytes_before: bytes,
            bytes_after: bytes,
            blobs_kept: 0,
        });
    }
    let _lock = WriterLock::acquire(journal, contention, on_wait)?;
    settle(journal)?;
    let recovery = wal::recover(&wal)?;
    let index = Index::open(journal)?;
    let runs = index.runs()?;
    let pruned = pruned_runs(&runs, retention)?;
    let mut tombstones = index.pruned()?;
    drop(index);
    let bytes_before = log_bytes(&wal)?;
    let mut report = PruneReport {
        kept: runs.len() - pruned.len(),
        bytes_before,
        bytes_after: bytes_before,
        ..PruneReport::default()
    };
    if pruned.is_empty() {
        return Ok(report);
    }
    let going: HashSet<&str> = pruned.iter().map(String::as_str).collect();
    let kept: Vec<String> = runs
        .iter()
        .map(|r| r.run_id.clone())
        .filter(|id| !going.contains(id.as_str()))
        .collect();
    let carried = bundle::collect(journal, Some(&kept))?;
    tombstones.extend(pruned.iter().map(|run_id| PrunedRun {
        run_id: run_id.clone(),
        pruned_at: now,
    }));
    let next = journal.join(NEXT);
    let first_seq = recovery.next_seq;
    if let Err(e) = write_log(&next, first_seq, &Pruned { runs: tombstones }, &carried) {
        // An unfinished copy (a full disk, say) goes now, not at the next writer's open.
        let _ = remove_dir(&next);
        return Err(e);
    }
    crash_point("prune:written");
    swap(journal)?;
    crash_point("prune:swapped");
    settle(journal)?;
    // The log is pruned. An index the disk will not let be rebuilt now is rebuilt by the
    // next command that can write it; readers meanwhile build it in memory.
    match Index::rebuild(journal) {
        Ok(_) => {}
        Err(e) if e.is_unwritable() => {}
        Err(e) => return Err(e),
    }
    report.pruned = pruned;
    report.bytes_after = log_bytes(&wal)?;
    report.blobs_kept = carried.blobs.len() as u64;
    Ok(report)
}

/// The new log being written, or (after the swap) the old one being removed.
const NEXT: &str = "wal.next";
/// The old log between the two renames of a swap that could not be atomic.
const OLD: &str = "wal.old";

/// Write `pruned`, then every test, blob and run of `carried`, as a new log in `dir`
/// starting at sequence `first_seq`, and make it durable.
fn write_log(dir: &Path, first_seq: u64, pruned: &Pruned, carried: &Bundle) -> Result<()> {
    remove_dir(dir)?;
    std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    let start = Recovery {
        next_seq: first_seq,
        tail: None,
        truncated: None,
    };
    let w = Writer::start(dir, &start, WriterOptions::default())?;
    w.append(&Record::Pruned(pruned.clone()))?;
    for def in &carried.tests {
        w.append(&Record::Test(def.clone()))?;
    }
    for patch in &carried.patches {
        w.append(&Record::DesignPatch(patch.clone()))?;
    }
    let mut hashes: Vec<_> = carried.blobs.keys().collect();
    hashes.sort();
    for h in hashes {
        w.append(&crate::records::blob(&carried.blobs[h]).1)?;
    }
    for run in &carried.runs {
        for r in &run.records {
            w.append(r)?;
        }
    }
    w.close()?;
    wal::sync_dir(dir)?;
    if let Some(parent) = dir.parent() {
        wal::sync_dir(parent)?;
    }
    Ok(())
}

/// Put the complete new log (`wal.next/`) in the place of the old (`wal/`): one atomic
/// exchange where the system has it, else two renames.
fn swap(journal: &Path) -> Result<()> {
    let (wal, next, old) = (wal_dir(journal), journal.join(NEXT), journal.join(OLD));
    if !exchanged(&wal, &next)? {
        std::fs::rename(&wal, &old).map_err(io("cannot move", &wal))?;
        wal::sync_dir(journal)?;
        crash_point("prune:half-swapped");
        std::fs::rename(&next, &wal).map_err(io("cannot move", &next))?;
    }
    wal::sync_dir(journal)
}

/// Swap the two folders atomically; `false` when the system or file system cannot.
fn exchanged(a: &Path, b: &Path) -> Result<bool> {
    if std::env::var_os("EXEMPLAR_STORE_NO_EXCHANGE").is_some() {
        return Ok(false);
    }
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => Ok(true),
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP | Errno::PERM) => Ok(false),
            Err(e) => Err(io("cannot swap", a)(e.into())),
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// Finish or clean up after a prune that was killed, under the writer lock:
///
/// - no log in `wal/` (missing, or an empty folder) while `wal.old/` exists: the kill came
///   between the two renames of a swap; the complete new log (`wal.next/`) is put in place,
///   or, were it gone, the old one back;
/// - then `wal.next/` and `wal.old/` — an unfinished copy or a replaced log — are deleted,
///   after moving the segments that `repair` set aside (`damaged/`) into the log that stays.
///
/// A state no prune leaves — a log in `wal.next/` and none in `wal/` without `wal.old/`, or a
/// `wal/` that does not go on from `wal.old/` — is refused, and nothing is deleted.
pub fn settle(journal: &Path) -> Result<()> {
    let (wal, next, old) = (wal_dir(journal), journal.join(NEXT), journal.join(OLD));
    if !next.exists() && !old.exists() {
        return Ok(());
    }
    let unsettled = |detail: &str| StoreError::Unsettled {
        journal: journal.to_owned(),
        detail: detail.to_owned(),
    };
    let (in_wal, in_next, in_old) = (holds_log(&wal)?, holds_log(&next)?, holds_log(&old)?);
    match (in_wal, old.exists()) {
        (false, true) if in_next || in_old => {
            let source = if in_next { &next } else { &old };
            remove_dir(&wal)?;
            std::fs::rename(source, &wal).map_err(io("cannot move", source))?;
            wal::sync_dir(journal)?;
        }
        (true, true) if !goes_on_from(&wal, &old)? => {
            return Err(unsettled(
                "wal/ holds a log that does not go on from the one in wal.old/",
            ));
        }
        (false, false) if in_next => {
            return Err(unsettled("wal.next/ holds a log and wal/ none"));
        }
        _ => {}
    }
    for leftover in [next, old] {
        if !leftover.exists() {
            continue;
        }
        let damaged = leftover.join("damaged");
        if damaged.is_dir() && !wal.join("damaged").exists() && wal.is_dir() {
            std::fs::rename(&damaged, wal.join("damaged")).map_err(io("cannot move", &damaged))?;
            wal::sync_dir(&wal)?;
        }
        remove_dir(&leftover)?;
        wal::sync_dir(journal)?;
    }
    Ok(())
}

/// Whether `dir` holds segments.
fn holds_log(dir: &Path) -> Result<bool> {
    Ok(!wal::segments(dir)?.is_empty())
}

/// Whether the log in `new` goes on from the one in `old`: a prune's new log starts after the
/// old one's last record, so after its last segment's first.
fn goes_on_from(new: &Path, old: &Path) -> Result<bool> {
    let first_new = wal::segments(new)?.first().map(|(s, _)| *s);
    let last_old = wal::segments(old)?.last().map(|(s, _)| *s);
    Ok(match (first_new, last_old) {
        (Some(n), Some(o)) => n > o,
        _ => true,
    })
}

/// Whether a reader would find the journal between the steps of a prune: no log in `wal/`,
/// and `wal.next/` or `wal.old/` beside it.
pub(crate) fn in_flux(journal: &Path) -> bool {
    let wal = wal_dir(journal);
    let empty = wal::segments(&wal).is_ok_and(|s| s.is_empty());
    empty && (journal.join(NEXT).exists() || journal.join(OLD).exists())
}

/// Settle a journal a reader found in flux: take the writer lock when free and settle it;
/// when a pruner holds the lock, wait for it (it finishes the swap itself).
pub(crate) fn settle_for_reader(journal: &Path) -> Result<()> {
    let _lock = WriterLock::acquire(journal, Contention::Wait, &mut |_| {})?;
    settle(journal)
}

fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io("cannot remove", dir)(e)),
    }
}

/// Bytes of every segment of the log.
fn log_bytes(wal: &Path) -> Result<u64> {
    let mut total = 0;
    for (_, path) in wal::segments(wal)? {
        total += std::fs::metadata(&path)
            .map_err(io("cannot stat", &path))?
            .len();
    }
    Ok(total)
}

/// Stop the process here, as a kill would, when `EXEMPLAR_STORE_CRASH` names this point: how
/// the tests kill a prune between its steps.
fn crash_point(name: &str) {
    if std::env::var("EXEMPLAR_STORE_CRASH").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}
