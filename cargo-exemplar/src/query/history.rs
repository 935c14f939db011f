//! `cargo exemplar history`: the runs; a directive's loss over them; a test's outcomes.

use std::fmt::Write;

use exemplar_formats::Outcome;
use exemplar_formats::journal::{self as doc, DirectiveHistory, RunsDocument, TestHistory};
use exemplar_mission::update::round_loss;
use exemplar_store::{Index, RunRow};
use serde::Serialize;

use super::at::parse_at;
use super::runs::{emit, open, run_line, run_summary, time};
use crate::cli::HistoryArgs;
use crate::errors::{Error, ExitCode};

/// `cargo exemplar history`.
pub fn history(args: &HistoryArgs) -> Result<ExitCode, Error> {
    let (_, ix) = open(&args.journal)?;
    let until = match &args.at {
        Some(spec) => Some(ix.resolve_at(&parse_at(&ix, spec)?)?),
        None => None,
    };
    let within = |at: i64, run: &str| match &until {
        Some(u) => (at, run) <= (u.started_at, u.run_id.as_str()),
        None => true,
    };
    let mut out = String::new();
    let value = match &args.target {
        None => runs(&ix, &within, &mut out)?,
        Some(t) => match directive(&ix, t, &within, &mut out)? {
            Some(doc) => doc,
            None => test(&ix, t, &within, &mut out)?,
        },
    };
    emit(args.journal.message_format, out, &value);
    Ok(ExitCode::Ok)
}

type Within<'a> = dyn Fn(i64, &str) -> bool + 'a;

/// Every run (up to `--at`).
fn runs(ix: &Index, within: &Within, out: &mut String) -> Result<Document, Error> {
    let runs: Vec<RunRow> = ix
        .runs()?
        .into_iter()
        .filter(|r| within(r.started_at, &r.run_id))
        .collect();
    for r in &runs {
        let _ = writeln!(out, "{}", run_line(ix, r));
    }
    Ok(Document::Runs(RunsDocument {
        format: "exemplar-runs".into(),
        version: 1,
        runs: runs.iter().map(|r| run_summary(ix, r)).collect(),
    }))
}

/// A directive's loss over the runs; `None` when no run measured a node `t`.
fn directive(
    ix: &Index,
    t: &str,
    within: &Within,
    out: &mut String,
) -> Result<Option<Document>, Error> {
    let losses: Vec<_> = ix
        .loss_history(t)?
        .into_iter()
        .filter(|p| within(p.started_at, &p.run_id))
        .collect();
    if losses.is_empty() {
        return Ok(None);
    }
    for p in &losses {
        let (id, at) = (&p.run_id, time(p.started_at));
        let _ = writeln!(out, "{id}  {at}  {}  {t}  {:.3}", p.mission, p.loss);
    }
    Ok(Some(Document::Directive(DirectiveHistory {
        format: "exemplar-directive-history".into(),
        version: 1,
        directive: t.to_owned(),
        loss: losses
            .iter()
            .map(|p| doc::LossPoint {
                run_id: p.run_id.clone(),
                started_at: time(p.started_at),
                mission: p.mission.clone(),
                loss: round_loss(p.loss),
            })
            .collect(),
    })))
}

/// A test's outcomes over the runs.
fn test(ix: &Index, t: &str, within: &Within, out: &mut String) -> Result<Document, Error> {
    let tests: Vec<_> = ix
        .test_history(t)?
        .into_iter()
        .filter(|p| within(p.started_at, &p.run_id))
        .collect();
    if tests.is_empty() {
        return Err(Error::Usage(format!(
            "`{t}` is neither a directive nor a test in the journal"
        )));
    }
    for p in &tests {
        let _ = writeln!(
            out,
            "{}  {}  {:<8} {:>8.3}s  {}",
            p.run_id,
            time(p.started_at),
            Outcome::word_of_code(p.outcome.outcome),
            p.outcome.duration,
            p.outcome.reference
        );
    }
    Ok(Document::Test(TestHistory {
        format: "exemplar-test-history".into(),
        version: 1,
        test: t.to_owned(),
        outcomes: tests
            .iter()
            .map(|p| doc::TestPoint {
                run_id: p.run_id.clone(),
                started_at: time(p.started_at),
                mission: p.outcome.mission.clone(),
                reference: p.outcome.reference.clone(),
                outcome: Outcome::from_code(p.outcome.outcome),
                duration: p.outcome.duration,
            })
            .collect(),
    }))
}

/// The document `history` prints: runs, a directive's loss, or a test's outcomes.
#[derive(Serialize)]
#[serde(untagged)]
enum Document {
    Runs(RunsDocument),
    Directive(DirectiveHistory),
    Test(TestHistory),
}
