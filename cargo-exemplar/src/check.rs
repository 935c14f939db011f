//! `cargo exemplar check`: the pre-commit gate, as a command.
//!
//! It runs the tests like `run` (recording the run in the journal, leaving the mission files
//! alone unless `--rewrite`), then compares with a baseline ([`exemplar_runner::gate`]): by
//! default the mission files as committed at `HEAD`, or `--baseline RUN|COMMIT`. It fails
//! (exit 1) when an active directive's loss rose, a test that passed fails now, or a mission's
//! loss is above the ceiling.
//!
//! The output is the remediation signal: each violated directive with its invariant and
//! constraint, the failing tests with file:line and message, and the loss before → after.

use std::fmt::Write as _;

use exemplar_formats::check::{CheckDocument, MissionVerdict};
use exemplar_runner::Session;
use exemplar_runner::gate::{self, Baseline};

use crate::cli::{CheckArgs, MessageFormat};
use crate::errors::{Error, ExitCode};
use crate::progress::Progress;
use crate::render;
use crate::style::{ColorChoice, Style};

/// `cargo exemplar check`.
pub fn command(args: &CheckArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    max_loss_in_range(args.max_loss)?;
    if args.run.harness_args.iter().any(|a| a == "--list") {
        return crate::list::command(&(&args.run).into(), color);
    }
    if args.run.partition.is_some() {
        return Err(Error::Usage(
            "check gates a whole run, and a shard's loss is of part of the suite: run the \
             shards with `run --partition`, then gate their union with `merge --check`"
                .into(),
        ));
    }
    if args.run.message_format == crate::cli::RunFormat::JsonStream {
        return Err(Error::Usage(
            "--message-format json-stream streams a run: use it with `run` (check prints one \
             document: json)"
                .into(),
        ));
    }
    let mut plan = args.run.plan()?;
    plan.rewrite = args.rewrite;
    let mut progress = Progress::new(
        color.for_stderr(),
        !plan.no_capture,
        args.run.selection.verbosity(),
    );
    let session = exemplar_runner::run(&plan, &mut progress)?;
    let gate = Gate {
        baseline: args.baseline.as_deref(),
        max_loss: args.max_loss,
        format: args.run.message_format.document(),
    };
    gate.judge(&session, color)
}

/// `--max-loss` is a loss: between 0 and 1.
pub fn max_loss_in_range(max_loss: Option<f64>) -> Result<(), Error> {
    match max_loss {
        Some(m) if !(0.0..=1.0).contains(&m) => Err(Error::Usage(format!(
            "--max-loss must be between 0 and 1, not {m}"
        ))),
        _ => Ok(()),
    }
}

/// How to gate a run: against what, with which ceiling, shown how (shared by `check` and
/// `merge --check`).
pub struct Gate<'a> {
    /// `--baseline RUN|COMMIT` (default: the mission files at `HEAD`).
    pub baseline: Option<&'a str>,
    /// `--max-loss` (default: each package's `max-loss`).
    pub max_loss: Option<f64>,
    /// Table or JSON.
    pub format: MessageFormat,
}

/// Show a run made without running tests (`merge`, `ingest`) as `run` shows one, or, with a
/// gate (`--check`), judge it as `check` does; the exit code either way.
pub fn show_or_judge(
    session: &Session,
    gate: Option<Gate<'_>>,
    format: MessageFormat,
    color: ColorChoice,
) -> Result<ExitCode, Error> {
    if let Some(gate) = gate {
        return gate.judge(session, color);
    }
    match format {
        MessageFormat::Human => print!(
            "{}",
            crate::render::table::render(session, color.for_stdout())
        ),
        MessageFormat::Json => println!("{}", crate::render::json::render(session)),
    }
    Ok(ExitCode::of_run(session))
}

impl Gate<'_> {
    /// Compare `session` with the baseline, print the verdict, and say how to exit.
    pub fn judge(&self, session: &Session, color: ColorChoice) -> Result<ExitCode, Error> {
        let baseline = gate::load_baseline(session, self.baseline)?;
        let verdicts: Vec<MissionVerdict> = session
            .missions
            .iter()
            .map(|m| {
                gate::judge(
                    m,
                    baseline.missions.get(&m.package.mission.id),
                    self.max_loss.or(m.package.max_loss),
                )
            })
            .collect();
        // A binary that died before listing its tests hides its tests' outcomes: never clean.
        let ok = verdicts.iter().all(MissionVerdict::ok) && !session.others.iter().any(|o| !o.ok);
        match self.format {
            MessageFormat::Human => print!(
                "{}",
                render(&baseline, &verdicts, session, color.for_stdout())
            ),
            MessageFormat::Json => {
                let doc = CheckDocument {
                    format: "exemplar-check".into(),
                    version: 1,
                    ok,
                    baseline: baseline.label.clone(),
                    missions: verdicts,
                    run: render::json::document(session),
                };
                println!(
                    "{}",
                    serde_json::to_string_pretty(&doc).expect("the check document serializes")
                );
            }
        }
        Ok(if session.unrecorded() {
            ExitCode::Unrecorded
        } else if ok {
            ExitCode::Ok
        } else {
            ExitCode::Failed
        })
    }
}

fn render(baseline: &Baseline, verdicts: &[MissionVerdict], s: &Session, style: Style) -> String {
    let mut out = format!("check against {}\n", baseline.label);
    for v in verdicts {
        write_verdict(&mut out, v, &s.run_id, style);
    }
    render::table::write_others(&mut out, s, style);
    render::table::write_unrecorded(&mut out, s, style);
    let failed = verdicts.iter().filter(|v| !v.ok()).count();
    let broken = s.others.iter().filter(|o| !o.ok).count();
    let verdict = match (failed, broken) {
        (0, 0) => style.good("ok"),
        (0, b) => style.bad(&format!(
            "FAILED: {b} test binary(ies) did not report their tests"
        )),
        (f, _) => style.bad(&format!("FAILED in {f} mission(s)")),
    };
    let _ = writeln!(out, "\ngate: {verdict} (run {})", s.run_id);
    out
}

/// One mission's verdict: its loss before and after, the ceiling, each violated directive
/// with its failing tests, each regression (once), and the proposed directives with loss.
fn write_verdict(out: &mut String, v: &MissionVerdict, run_id: &str, style: Style) {
    let f = render::table::loss_text;
    let word = if v.ok() {
        style.good("ok")
    } else {
        style.bad("FAILED")
    };
    let _ = writeln!(
        out,
        "\nmission {}: loss {} → {:.3}  {word}",
        v.id,
        f(v.loss_before),
        v.loss_after
    );
    if v.over_ceiling {
        let _ = writeln!(
            out,
            "  {} loss {:.3} is above the ceiling {}",
            style.bad("x"),
            v.loss_after,
            f(v.max_loss)
        );
    }
    for x in &v.violations {
        let _ = writeln!(
            out,
            "  {} {} [{}]: loss {:.3} → {:.3}",
            style.bad(&x.row.id),
            x.row.name,
            x.row.status.as_str(),
            x.before,
            x.after
        );
        render::table::write_detail(out, &x.row, run_id, style);
    }
    // Each failure once: a regression already shown under a violated directive is only
    // named here.
    let shown: Vec<&str> = v
        .violations
        .iter()
        .flat_map(|x| x.row.failing_tests.iter().map(|t| t.reference.as_str()))
        .collect();
    for r in &v.regressions {
        let again = shown.contains(&r.reference.as_str());
        let _ = writeln!(
            out,
            "  {} {} ({}:{}) passed in the baseline, {} now [{}]{}",
            style.bad("x"),
            r.reference,
            r.file,
            r.line,
            r.outcome,
            r.ids.join(", "),
            if again { " (shown above)" } else { "" }
        );
        if !again {
            render::table::write_captured(out, r.message.as_deref(), None, run_id, style);
        }
    }
    write_stranded(out, v, run_id, style);
    for p in &v.proposed {
        let _ = writeln!(
            out,
            "  {} {} [proposed, not gating]: loss {}",
            style.dim(&p.id),
            p.name,
            f(p.loss)
        );
    }
}

/// The stranded tests of a mission: each fails the gate.
fn write_stranded(out: &mut String, v: &MissionVerdict, run_id: &str, style: Style) {
    for r in &v.stranded {
        let _ = writeln!(
            out,
            "  {} {} ({}:{}) is compiled but no harness runs it{}",
            style.bad("x"),
            r.reference,
            r.file,
            r.line,
            if r.ids.is_empty() {
                String::new()
            } else {
                format!(" [{}]", r.ids.join(", "))
            }
        );
        render::table::write_captured(out, r.message.as_deref(), None, run_id, style);
    }
}
