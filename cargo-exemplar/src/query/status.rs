//! `cargo exemplar status`: the loss of the latest run, or of the run `--at` names.

use std::fmt::Write;

use exemplar_formats::Outcome;
use exemplar_formats::journal::StatusDocument;

use super::at::parse_at;
use super::runs::{emit, open, run_line, run_summary};
use crate::cli::StatusArgs;
use crate::errors::{Error, ExitCode};
use crate::style::Style;

/// `cargo exemplar status`.
pub fn status(args: &StatusArgs, style: Style) -> Result<ExitCode, Error> {
    let (_, ix) = open(&args.journal)?;
    let run = match &args.at {
        Some(spec) => ix.resolve_at(&parse_at(&ix, spec)?)?,
        None => ix.find_run("latest")?,
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!("as of run {}", run_line(&ix, &run)))
    );
    for m in &run.losses {
        let word = format!("loss {:.3}", m.loss);
        let word = if m.loss > 0.0 {
            style.bad(&word)
        } else {
            style.good(&word)
        };
        let _ = writeln!(out, "\nmission {}: {word}", m.mission);
        let _ = writeln!(out, "  {}", style.dim("ID        LOSS"));
        for n in &m.nodes {
            let line = format!("  {:<8}  {:.3}", n.id, n.loss);
            let _ = writeln!(
                out,
                "{}",
                if n.loss > 0.0 { style.bad(&line) } else { line }
            );
        }
    }
    if !run.complete() {
        let _ = writeln!(out, "\n{}", style.warn("this run has no end record (it was interrupted): no loss was recorded; its outcomes:"));
        for o in ix.outcomes(&run.run_id)? {
            let _ = writeln!(
                out,
                "  {:<8} {}",
                Outcome::word_of_code(o.outcome),
                o.reference
            );
        }
    }
    let doc = StatusDocument {
        format: "exemplar-status".into(),
        version: 1,
        run: run_summary(&ix, &run),
    };
    emit(args.journal.message_format, out, &doc);
    Ok(ExitCode::Ok)
}
