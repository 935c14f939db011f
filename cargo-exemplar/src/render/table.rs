//! The human report: one loss table per mission, then what fails and why.

use std::fmt::Write;

use exemplar_formats::{Outcome, OutcomeCounts};
use exemplar_mission::{NodeKind, Status};

use crate::style::Style;
use exemplar_formats::run::{DirectiveRow, WritePlace};
use exemplar_runner::rows::rows;
use exemplar_runner::{MissionResult, Session};

/// A loss as every view prints it: three decimals, `-` when not measured.
pub fn loss_text(l: Option<f64>) -> String {
    l.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into())
}

fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

fn lpad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    format!("{}{s}", " ".repeat(w.saturating_sub(n)))
}

/// The whole report.
pub fn render(s: &Session, style: Style) -> String {
    let mut out = String::new();
    for m in &s.missions {
        let rows = rows(m);
        write_table(&mut out, m, &rows, style);
        write_verdict(&mut out, s, m, &rows, style);
        write_failures(&mut out, &rows, &s.run_id, style);
        write_untagged(&mut out, m, &s.run_id, style);
    }
    write_others(&mut out, s, style);
    let OutcomeCounts {
        passed,
        failed,
        ignored,
        crashed,
        timeout,
        stranded,
        flaky,
    } = s.counts;
    let mut parts = vec![format!("{passed} passed"), format!("{failed} failed")];
    if crashed > 0 {
        parts.push(format!("{crashed} crashed"));
    }
    if timeout > 0 {
        parts.push(format!("{timeout} timed out"));
    }
    if stranded > 0 {
        parts.push(format!("{stranded} stranded"));
    }
    if flaky > 0 {
        parts.push(format!("{flaky} flaky"));
    }
    parts.push(format!("{ignored} ignored"));
    if s.not_run > 0 {
        parts.push(format!(
            "{} not run (--fail-fast stopped at a failure)",
            s.not_run
        ));
    }
    if let Some(p) = s.partition {
        parts.push(format!(
            "{} in other shards (this is shard {p})",
            s.other_shards
        ));
    }
    if !s.merged_from.is_empty() {
        parts.push(format!(
            "the union of {} shards ({})",
            s.merged_from.len(),
            s.merged_from.join(", ")
        ));
    }
    if !s.executed {
        if let Some(latest) = &s.rerun_of {
            let _ = writeln!(
                out,
                "\nnothing outstanding: every test of run {latest} and the runs before it passed"
            );
        }
        let _ = writeln!(
            out,
            "\nno test ran, so no run was recorded; finished in {:.2}s",
            s.elapsed.as_secs_f64()
        );
        return out;
    }
    write_outstanding(&mut out, s);
    write_unrecorded(&mut out, s, style);
    // An index that could not grow loses nothing (the log has the run): its line above says
    // so, and the verdict stays the tests'.
    let lost = s.unrecorded.iter().any(|u| u.place != WritePlace::Index);
    let verdict = if s.failed() {
        style.bad("FAILED")
    } else if lost {
        style.bad("NOT RECORDED")
    } else {
        style.good("ok")
    };
    let _ = writeln!(
        out,
        "\nrun {}: {verdict}. {}; finished in {:.2}s",
        s.run_id,
        parts.join(", "),
        s.elapsed.as_secs_f64()
    );
    out
}

/// What a `--rerun-failed` or `--fail-fast` run left for the next `--rerun-failed`.
fn write_outstanding(out: &mut String, s: &Session) {
    let left = s.outstanding();
    match &s.rerun_of {
        Some(latest) if left == 0 => {
            let _ = writeln!(
                out,
                "\nre-ran the outstanding tests of run {latest}: none remains outstanding"
            );
        }
        Some(latest) => {
            let _ = writeln!(
                out,
                "\nre-ran the outstanding tests of run {latest}: {left} {} outstanding; `cargo exemplar run --rerun-failed` runs them again",
                if left == 1 { "remains" } else { "remain" }
            );
        }
        None if s.not_run > 0 => {
            let _ = writeln!(
                out,
                "\n{left} tests outstanding ({} not run); `cargo exemplar run --rerun-failed` runs them",
                s.not_run
            );
        }
        None => {}
    }
}

/// The package's untagged tests: a count, and each failing one named with its message and
/// output (they count toward no directive).
fn write_untagged(out: &mut String, m: &MissionResult, run_id: &str, style: Style) {
    let c = crate::render::json::untagged_counts(m);
    let filtered = m
        .tests
        .iter()
        .filter(|t| t.ids.is_empty() && t.plan == exemplar_formats::events::Plan::Filtered)
        .count();
    let elsewhere = m
        .tests
        .iter()
        .filter(|t| t.ids.is_empty() && t.plan == exemplar_formats::events::Plan::OtherShard)
        .count();
    if c.executed() + c.ignored + (filtered + elsewhere) as u64 == 0 {
        return;
    }
    let left_out = match (filtered, elsewhere) {
        (0, 0) => String::new(),
        (n, 0) => format!(", {n} filtered out"),
        (0, e) => format!(", {e} in other shards"),
        (n, e) => format!(", {n} filtered out, {e} in other shards"),
    };
    let _ = writeln!(
        out,
        "\n  untagged tests (no directive): {} passed, {} failing, {} ignored{left_out}",
        c.passed,
        c.failing(),
        c.ignored
    );
    for t in m.tests.iter().filter(|t| t.ids.is_empty()) {
        let Some(o) = t.outcome.filter(|o| o.is_failing() || *o == Outcome::Flaky) else {
            continue;
        };
        let place = place(&t.file, t.line);
        let _ = writeln!(out, "      {} {}{place}: {o}", style.bad("x"), t.reference);
        write_captured(
            out,
            t.message.as_deref(),
            t.output.as_deref(),
            run_id,
            style,
        );
    }
}

/// Binaries shown for themselves, not through their tests: one that died before listing its
/// tests, or whose harness counted tests it did not name (shared by `run` and `check`).
pub fn write_others(out: &mut String, s: &Session, style: Style) {
    for o in &s.others {
        let word = if o.ok {
            style.good("ok")
        } else {
            style.bad("FAILED")
        };
        let _ = writeln!(out, "\n{} {}: {word}: {}", o.package, o.target, o.summary);
    }
}

/// Each write the disk refused, with what it left unrecorded (shared by `run` and `check`).
pub fn write_unrecorded(out: &mut String, s: &Session, style: Style) {
    for u in &s.unrecorded {
        let place = match u.place {
            WritePlace::Journal => "the journal's log",
            WritePlace::Index => "the journal's index",
            WritePlace::Mission => "the mission file",
        };
        let _ = writeln!(
            out,
            "\n{}: {place} {}\n  {}\n  not recorded: {}",
            style.bad("write failed"),
            u.path.display(),
            u.error,
            u.lost
        );
    }
}

/// Tagged tests of the mission that this run filtered out.
fn rows_filtered(m: &MissionResult) -> usize {
    m.tests
        .iter()
        .filter(|t| t.plan == exemplar_formats::events::Plan::Filtered)
        .count()
}

/// The mission's heading and its loss table.
fn write_table(out: &mut String, m: &MissionResult, rows: &[DirectiveRow], style: Style) {
    let mission = &m.package.mission;
    let _ = writeln!(
        out,
        "\n{} {} ({})",
        style.bold(&format!("mission {}", mission.id)),
        mission.name,
        m.package.name
    );
    let header = [
        "ID", "NAME", "STATUS", "TESTS", "RAN", "FILTERED", "FAILING", "LOSS",
    ];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            let name = format!("{}{}", "  ".repeat(r.depth), r.name);
            let loss = match (r.kind, r.loss, r.subtree_loss) {
                (NodeKind::Idea, None, Some(sub)) if r.status != Status::Retired => {
                    format!("({sub:.3})")
                }
                _ => loss_text(r.loss),
            };
            let failing = if r.unverified > 0 {
                format!("{}+{}?", r.failing, r.unverified)
            } else {
                r.failing.to_string()
            };
            [
                r.id.clone(),
                name,
                r.status.as_str().to_owned(),
                r.linked.to_string(),
                r.ran.to_string(),
                r.filtered.to_string(),
                failing,
                if r.uncovered {
                    format!("{loss} uncovered")
                } else {
                    loss
                },
            ]
        })
        .collect();
    let mut w = header.map(|h| h.chars().count());
    for c in &cells {
        for (i, v) in c.iter().enumerate() {
            w[i] = w[i].max(v.chars().count());
        }
    }
    let line = |c: &[String; 8]| {
        format!(
            "  {}  {}  {}  {}  {}  {}  {}  {}",
            pad(&c[0], w[0]),
            pad(&c[1], w[1]),
            pad(&c[2], w[2]),
            lpad(&c[3], w[3]),
            lpad(&c[4], w[4]),
            lpad(&c[5], w[5]),
            lpad(&c[6], w[6]),
            c[7]
        )
    };
    let _ = writeln!(out, "{}", style.dim(&line(&header.map(String::from))));
    for (c, r) in cells.iter().zip(rows) {
        let text = line(c);
        let painted = if r.loss.is_some_and(|l| l > 0.0) {
            style.bad(&text)
        } else if r.status == Status::Retired {
            style.dim(&text)
        } else {
            text
        };
        let _ = writeln!(out, "{painted}");
    }
}

/// The mission's loss, its change, and what happened to its file.
fn write_verdict(
    out: &mut String,
    s: &Session,
    m: &MissionResult,
    rows: &[DirectiveRow],
    style: Style,
) {
    let u = &m.update;
    let was = match u.previous_loss {
        Some(p) => format!(" (was {p:.3}, {:+.3})", u.loss.mission - p),
        None => String::new(),
    };
    let written = if !s.executed {
        let filtered = rows_filtered(m);
        format!(
            "no test ran ({filtered} filtered out): {} and the journal left as they were",
            m.package.display.display()
        )
    } else if m.rewritten {
        format!("{} updated", m.package.display.display())
    } else if let Some(p) = s.partition {
        format!(
            "{} not rewritten: shard {p} saw part of the suite (a shard never rewrites it)",
            m.package.display.display()
        )
    } else if u.changed {
        format!(
            "{} not rewritten (--no-rewrite)",
            m.package.display.display()
        )
    } else {
        format!("{} unchanged", m.package.display.display())
    };
    let loss_word = format!("loss {:.3}", u.loss.mission);
    let loss_word = if u.loss.mission > 0.0 {
        style.bad(&loss_word)
    } else {
        style.good(&loss_word)
    };
    let _ = writeln!(out, "  {loss_word}{was}; {written}");
    if rows.iter().any(|r| r.unverified > 0) {
        let _ = writeln!(
            out,
            "  {}",
            style.dim(
                "n+m?: n failing, m unverified (never ran, or ran before the directive changed)"
            )
        );
    }
}

fn write_failures(out: &mut String, rows: &[DirectiveRow], run_id: &str, style: Style) {
    let failing: Vec<&DirectiveRow> = rows
        .iter()
        .filter(|r| !r.failing_tests.is_empty())
        .collect();
    if failing.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n  {}", style.bold("violated directives:"));
    for r in failing {
        let _ = writeln!(
            out,
            "  {} {} [{}]",
            style.bad(&r.id),
            r.name,
            r.status.as_str()
        );
        write_detail(out, r, run_id, style);
    }
}

/// A violated directive's invariant, constraint, and the tests that count against it, with
/// file:line, the message and the captured output of each (shared by `run` and `check`).
pub fn write_detail(out: &mut String, r: &DirectiveRow, run_id: &str, style: Style) {
    if let Some(i) = &r.invariant {
        let _ = writeln!(out, "      invariant:  {i}");
    }
    if let Some(c) = &r.constraint {
        let _ = writeln!(out, "      constraint: {c}");
    }
    for t in &r.failing_tests {
        let what = match t.outcome {
            _ if t.in_other_shard => "in another shard".into(),
            Some(o) if t.evidence == exemplar_mission::loss::Evidence::Failing => o.to_string(),
            Some(_) => "stale (ran before the directive changed)".into(),
            None => "never ran".into(),
        };
        let at = place(&t.file, t.line);
        let _ = writeln!(out, "      {} {}{at}: {what}", style.bad("x"), t.reference);
        write_captured(
            out,
            t.message.as_deref(),
            t.output.as_deref(),
            run_id,
            style,
        );
    }
}

/// The lines of a message or output a view shows before it says how to see the rest.
pub const SHOWN_LINES: usize = 20;

/// A failure's message, then its captured output, each shortened to its first [`SHOWN_LINES`]
/// lines (a test's own prints come first; a panic and its backtrace, which the message already
/// shows, last) with a `…` line that says how many were left out and where to read them whole.
pub fn write_captured(
    out: &mut String,
    message: Option<&str>,
    output: Option<&str>,
    run_id: &str,
    style: Style,
) {
    if let Some(m) = message {
        write_shortened(out, m, run_id, style);
    }
    if let Some(o) = output.filter(|o| !o.trim().is_empty()) {
        let _ = writeln!(out, "          {}", style.dim("--- captured output ---"));
        write_shortened(out, o, run_id, style);
    }
}

/// The first [`SHOWN_LINES`] lines of `text`, then a line that says how many more there are
/// and where to read them.
fn write_shortened(out: &mut String, text: &str, run_id: &str, style: Style) {
    let lines: Vec<&str> = text.trim_matches('\n').lines().collect();
    for l in lines.iter().take(SHOWN_LINES) {
        let _ = writeln!(out, "          {l}");
    }
    let left_out = lines.len().saturating_sub(SHOWN_LINES);
    if left_out > 0 {
        let note = format!("… {left_out} more lines: cargo exemplar show {run_id}");
        let _ = writeln!(out, "          {}", style.dim(&note));
    }
}

/// ` (file:line)` after a test's reference, when the record knows the line.
fn place(file: &str, line: u32) -> String {
    if line > 0 {
        format!(" ({file}:{line})")
    } else {
        String::new()
    }
}
