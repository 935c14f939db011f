//! `cargo exemplar show`: one run, every outcome it recorded, messages and output whole.

use std::fmt::Write;

use exemplar_formats::Outcome;
use exemplar_formats::journal::{ShowDocument, ShownTest};

use super::runs::{emit, open, run_line, run_summary};
use crate::cli::ShowArgs;
use crate::errors::{Error, ExitCode};
use crate::style::Style;

/// `cargo exemplar show`.
pub fn show(args: &ShowArgs, style: Style) -> Result<ExitCode, Error> {
    let (dir, ix) = open(&args.journal)?;
    let run = ix.find_run(&args.run)?;
    let mut out = format!("{}\n", style.bold(&run_line(&ix, &run)));
    let mut tests = Vec::new();
    for o in ix.outcomes(&run.run_id)? {
        let word = Outcome::word_of_code(o.outcome);
        let failing = Outcome::from_code(o.outcome).is_some_and(Outcome::is_failing);
        let message = match &o.message {
            Some(h) => ix.blob_text(&dir, h)?,
            None => None,
        };
        let output = match &o.output {
            Some(h) => ix.blob_text(&dir, h)?,
            None => None,
        };
        let painted = if failing {
            style.bad(word)
        } else {
            word.to_owned()
        };
        let _ = writeln!(
            out,
            "  {painted:<8} {:>8.3}s  {} [{}]",
            o.duration,
            o.reference,
            o.ids.join(", ")
        );
        // The place to read a failure whole: the message and the captured output, uncut.
        if let Some(m) = &message {
            for l in m.lines() {
                let _ = writeln!(out, "      {l}");
            }
        }
        if let Some(text) = output
            .as_deref()
            .filter(|t| failing && !t.trim().is_empty())
        {
            let _ = writeln!(out, "      {}", style.dim("--- captured output ---"));
            for l in text.lines() {
                let _ = writeln!(out, "      {l}");
            }
        }
        tests.push(ShownTest {
            mission: o.mission,
            reference: o.reference,
            ids: o.ids,
            outcome: Outcome::from_code(o.outcome),
            duration: o.duration,
            message,
            output,
            binary: o.binary,
            line: o.line,
        });
    }
    let doc = ShowDocument {
        format: "exemplar-show".into(),
        version: 1,
        run: run_summary(&ix, &run),
        tests,
    };
    emit(args.journal.message_format, out, &doc);
    Ok(ExitCode::Ok)
}
