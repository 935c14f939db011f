//! `cargo exemplar diff` and `cargo exemplar flaky`: what changed between runs.

use std::fmt::Write;

use exemplar_formats::Outcome;
use exemplar_formats::journal::{DiffDocument, FlakyDocument};
use exemplar_store::{Index, RunDiff, RunRow};

use super::runs::{emit, open};
use crate::cli::{DiffArgs, JournalArgs};
use crate::errors::{Error, ExitCode};
use crate::style::Style;

/// `cargo exemplar diff`.
pub fn diff(args: &DiffArgs, style: Style) -> Result<ExitCode, Error> {
    let (_, ix) = open(&args.journal)?;
    let (a, b) = match (&args.run_a, &args.run_b) {
        (Some(a), Some(b)) => (ix.find_run(a)?, ix.find_run(b)?),
        (Some(one), None) => {
            let b = ix.find_run(one)?;
            (before(&ix, &b)?, b)
        }
        _ => {
            let b = ix.find_run("latest")?;
            (before(&ix, &b)?, b)
        }
    };
    let d = ix.diff(&a, &b)?;
    let mut out = format!("{} → {}\n", a.run_id, b.run_id);
    write_diff(&mut out, &d, style);
    let doc = DiffDocument {
        format: "exemplar-diff".into(),
        version: 1,
        from: a.run_id,
        to: b.run_id,
        flipped: d.flipped,
        loss: d.loss,
        design: d.design,
    };
    emit(args.journal.message_format, out, &doc);
    Ok(ExitCode::Ok)
}

/// The run recorded just before `run`.
fn before(ix: &Index, run: &RunRow) -> Result<RunRow, Error> {
    let runs = ix.runs()?;
    let at = runs
        .iter()
        .position(|r| r.run_id == run.run_id)
        .unwrap_or(0);
    match at.checked_sub(1) {
        Some(i) => Ok(runs[i].clone()),
        None => Err(Error::Usage(format!(
            "run {} is the journal's first: there is no run before it to compare with",
            run.run_id
        ))),
    }
}

/// A diff for people.
fn write_diff(out: &mut String, d: &RunDiff, style: Style) {
    let word = |o: Option<Outcome>| o.map_or("absent", Outcome::as_str);
    if !d.flipped.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("tests that changed:"));
        for f in &d.flipped {
            let (m, r) = (&f.mission, &f.reference);
            let _ = writeln!(out, "  {m} {r}: {} → {}", word(f.from), word(f.to));
        }
    }
    if !d.loss.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("loss:"));
        let f = crate::render::table::loss_text;
        for l in &d.loss {
            let name = if l.node.is_empty() {
                "(mission)"
            } else {
                l.node.as_str()
            };
            let _ = writeln!(out, "  {} {name}: {} → {}", l.mission, f(l.from), f(l.to));
        }
    }
    for (label, list) in [
        ("added", &d.design.added),
        ("changed", &d.design.changed),
        ("removed", &d.design.removed),
    ] {
        if !list.is_empty() {
            let ids: Vec<String> = list
                .iter()
                .map(|n| format!("{}/{}", n.mission, n.id))
                .collect();
            let _ = writeln!(out, "\ndesign {label}: {}", ids.join(", "));
        }
    }
    if d.is_empty() {
        out.push_str("no difference\n");
    }
}

/// `cargo exemplar flaky`.
pub fn flaky(args: &JournalArgs) -> Result<ExitCode, Error> {
    let (_, ix) = open(args)?;
    let f = ix.flaky()?;
    let mut out = String::new();
    if f.is_empty() {
        out.push_str("no flaky tests: no outcome changed between runs of the same clean commit\n");
    }
    for t in &f {
        let seq: Vec<&str> = t
            .outcomes
            .iter()
            .map(|o| o.outcome.map_or("?", Outcome::as_str))
            .collect();
        let _ = writeln!(
            out,
            "{} {} at {}: {}",
            t.mission,
            t.reference,
            t.commit,
            seq.join(" → ")
        );
    }
    let doc = FlakyDocument {
        format: "exemplar-flaky".into(),
        version: 1,
        flaky: f,
    };
    emit(args.message_format, out, &doc);
    Ok(ExitCode::Ok)
}
