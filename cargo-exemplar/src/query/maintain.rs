//! `cargo exemplar journal verify|repair|rebuild-index|export|import|prune`: looking after
//! the journal, carrying runs between journals, and letting old runs go.

use std::fmt::Write;
use std::path::Path;

use exemplar_formats::journal::{
    BundleDocument, MovedSegment, PruneDocument, RebuildDocument, RepairDocument, SegmentOffset,
    SeqRange, VerifyDocument,
};
use exemplar_runner::retention::{self, RetentionRules};
use exemplar_store::Contention;
use exemplar_store::bundle;

use super::runs::{emit, journal_dir, open_index};
use crate::cli::{JournalAction, JournalCommand, MessageFormat};
use crate::errors::{Error, ExitCode};

/// `cargo exemplar journal verify|repair|rebuild-index`.
pub fn journal(cmd: &JournalCommand) -> Result<ExitCode, Error> {
    let dir = journal_dir(&cmd.journal)?;
    let fmt = cmd.journal.message_format;
    match &cmd.action {
        JournalAction::Verify => verify(&dir, fmt)?,
        JournalAction::Repair => repair(&dir, fmt)?,
        JournalAction::RebuildIndex => rebuild(&dir, fmt)?,
        JournalAction::Export { file, runs } => export(&dir, file, runs, fmt)?,
        JournalAction::Import { file } => import(&dir, file, fmt)?,
        JournalAction::Prune {
            keep_runs,
            older_than,
            dry_run,
        } => {
            let rules = RetentionRules {
                keep_runs: keep_runs.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
                older_than: *older_than,
            };
            prune(&dir, cmd, rules, *dry_run, fmt)?
        }
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

/// Write runs to a bundle.
fn export(dir: &Path, file: &Path, specs: &[String], fmt: MessageFormat) -> Result<(), Error> {
    let ix = open_index(dir)?;
    let mut ids = Vec::new();
    for spec in specs {
        ids.push(ix.find_run(spec)?.run_id);
    }
    drop(ix);
    let only = (!ids.is_empty()).then_some(ids.as_slice());
    let report = bundle::write(&bundle::collect(dir, only)?, file)?;
    let out = format!(
        "wrote {} runs ({} records, {} bytes) to {}\n",
        report.runs.len(),
        report.records,
        report.bytes,
        file.display()
    );
    let doc = BundleDocument {
        format: "exemplar-journal-export".into(),
        version: 1,
        file: file.to_owned(),
        runs: report.runs,
        present: Vec::new(),
        pruned: Vec::new(),
        incomplete: Vec::new(),
        bytes: report.bytes,
    };
    emit(fmt, out, &doc);
    Ok(())
}

/// Append a bundle's runs that the journal does not have.
fn import(dir: &Path, file: &Path, fmt: MessageFormat) -> Result<(), Error> {
    let read = bundle::read(file)?;
    let report = bundle::import(dir, &read, Contention::Wait)?;
    exemplar_runner::journal::ignore_itself(dir);
    let mut out = format!(
        "imported {} runs from {} into {}",
        report.imported.len(),
        file.display(),
        dir.display()
    );
    if !report.present.is_empty() {
        let _ = write!(out, "; {} were there already", report.present.len());
    }
    if !report.incomplete.is_empty() {
        let _ = write!(
            out,
            "; {} are in this journal without their end (an import or a run cut short) and were not imported again: import the bundle into a fresh journal to have them whole ({})",
            report.incomplete.len(),
            report.incomplete.join(", ")
        );
    }
    if !report.pruned.is_empty() {
        let _ = write!(
            out,
            "; {} were pruned from this journal and stay pruned",
            report.pruned.len()
        );
    }
    out.push('\n');
    let doc = BundleDocument {
        format: "exemplar-journal-import".into(),
        version: 1,
        file: file.to_owned(),
        runs: report.imported,
        present: report.present,
        pruned: report.pruned,
        incomplete: report.incomplete,
        bytes: std::fs::metadata(file).map_or(0, |m| m.len()),
    };
    emit(fmt, out, &doc);
    Ok(())
}

/// Rewrite the log without the runs `rules` (else the configured retention) let go.
fn prune(
    dir: &Path,
    cmd: &JournalCommand,
    rules: RetentionRules,
    dry_run: bool,
    fmt: MessageFormat,
) -> Result<(), Error> {
    let rules = if rules.is_empty() {
        match retention::configured(cmd.journal.manifest_path.as_deref())? {
            Some((rules, _)) => rules,
            None => {
                return Err(Error::Usage(
                    "say which runs to keep (--keep-runs N, --older-than AGE), or set a default in [workspace.metadata.exemplar.retention]".into(),
                ));
            }
        }
    } else {
        rules
    };
    open_index(dir)?;
    let now = jiff::Timestamp::now();
    let retention = rules.at(now).map_err(Error::Usage)?;
    let r = exemplar_store::prune::prune(
        dir,
        &retention,
        now.as_second(),
        dry_run,
        Contention::Wait,
        &mut |holder| eprintln!("waiting for {holder} to finish with the journal"),
    )?;
    let verb = if dry_run { "would prune" } else { "pruned" };
    let mut out = format!("{verb} {} runs, kept {}", r.pruned.len(), r.kept);
    if !dry_run && !r.pruned.is_empty() {
        let _ = write!(
            out,
            "; the log went from {} to {} bytes",
            r.bytes_before, r.bytes_after
        );
    }
    out.push('\n');
    for run in &r.pruned {
        let _ = writeln!(out, "  {run}");
    }
    let doc = PruneDocument {
        format: "exemplar-journal-prune".into(),
        version: 1,
        journal: dir.to_owned(),
        dry_run,
        pruned: r.pruned,
        kept: r.kept as u64,
        bytes_before: r.bytes_before,
        bytes_after: r.bytes_after,
    };
    emit(fmt, out, &doc);
    Ok(())
}
