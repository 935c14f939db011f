//! `cargo exemplar journal verify|repair|rebuild-index`: looking after the journal.

use std::fmt::Write;
use std::path::Path;

use exemplar_formats::journal::{
    MovedSegment, RebuildDocument, RepairDocument, SegmentOffset, SeqRange, VerifyDocument,
};

use super::runs::{emit, journal_dir};
use crate::cli::{JournalAction, JournalCommand, MessageFormat};
use crate::errors::{Error, ExitCode};

/// `cargo exemplar journal verify|repair|rebuild-index`.
pub fn journal(cmd: &JournalCommand) -> Result<ExitCode, Error> {
    let dir = journal_dir(&cmd.journal)?;
    let fmt = cmd.journal.message_format;
    match cmd.action {
        JournalAction::Verify => verify(&dir, fmt)?,
        JournalAction::Repair => repair(&dir, fmt)?,
        JournalAction::RebuildIndex => rebuild(&dir, fmt)?,
    }
    Ok(ExitCode::Ok)
}

/// Check every checksum of every segment.
fn verify(dir: &Path, fmt: MessageFormat) -> Result<(), Error> {
    let r = exemplar_store::verify(dir)?;
    let mut out = format!(
        "{}: {} segments, {} bytes, {} records ({}), {} blobs; every checksum verified\n",
        dir.display(),
        r.segments,
        r.bytes,
        r.records,
        r.by_kind
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        r.blobs
    );
    if let Some((p, off)) = &r.torn_tail {
        let _ = writeln!(
            out,
            "torn tail at offset {off} of {} (the next run truncates it)",
            p.display()
        );
    }
    let doc = VerifyDocument {
        format: "exemplar-journal-verify".into(),
        version: 1,
        journal: dir.to_owned(),
        segments: r.segments as u64,
        bytes: r.bytes,
        records: r.records,
        by_kind: r.by_kind,
        blobs: r.blobs,
        last_seq: r.last_seq,
        torn_tail: r
            .torn_tail
            .map(|(segment, offset)| SegmentOffset { segment, offset }),
    };
    emit(fmt, out, &doc);
    Ok(())
}

/// Move damaged segments aside, keeping every valid record.
fn repair(dir: &Path, fmt: MessageFormat) -> Result<(), Error> {
    let r = exemplar_store::repair(dir)?;
    let mut out = String::new();
    if r.moved.is_empty() {
        out.push_str("nothing to repair\n");
    }
    for (from, to) in &r.moved {
        let _ = writeln!(out, "moved damaged {} to {}", from.display(), to.display());
    }
    for (a, b) in &r.lost {
        let _ = writeln!(
            out,
            "lost records {a}..={b} (recorded in the journal as a gap)"
        );
    }
    let _ = writeln!(
        out,
        "kept {} records from damaged segments; index rebuilt",
        r.kept
    );
    let doc = RepairDocument {
        format: "exemplar-journal-repair".into(),
        version: 1,
        moved: r
            .moved
            .into_iter()
            .map(|(from, to)| MovedSegment { from, to })
            .collect(),
        kept: r.kept,
        lost: r
            .lost
            .into_iter()
            .map(|(first, last)| SeqRange { first, last })
            .collect(),
    };
    emit(fmt, out, &doc);
    Ok(())
}

/// Delete the index and rebuild it from the write-ahead log.
fn rebuild(dir: &Path, fmt: MessageFormat) -> Result<(), Error> {
    let t0 = std::time::Instant::now();
    let ix = exemplar_store::Index::rebuild(dir)?;
    let n = ix.applied_now;
    let out = format!(
        "index rebuilt from {n} records in {:.2}s\n",
        t0.elapsed().as_secs_f64()
    );
    let doc = RebuildDocument {
        format: "exemplar-journal-rebuild".into(),
        version: 1,
        records: n,
        runs: ix.runs()?.len() as u64,
    };
    emit(fmt, out, &doc);
    Ok(())
}
