//! The commands that read the journal: `status`, `history`, `show`, `diff`, `flaky` and
//! `journal verify|repair|rebuild-index`. Each prints a table, or with
//! `--message-format json` one JSON document.

use std::fmt::Write;
use std::path::PathBuf;

use exemplar_formats::Outcome;
use exemplar_formats::journal::{
    self as doc, DiffDocument, DirectiveHistory, FlakyDocument, MissionLoss, MovedSegment,
    NodeLoss, RebuildDocument, RepairDocument, RunSummary, RunsDocument, SegmentOffset, SeqRange,
    ShowDocument, ShownTest, StatusDocument, TestHistory, VerifyDocument,
};
use exemplar_mission::update::round_loss;
use exemplar_runner::JournalChoice;
use exemplar_runner::discover;
use exemplar_store::RunDiff;
use exemplar_store::{At, Index, RunRow};
use serde::Serialize;

use crate::cli::{
    DiffArgs, HistoryArgs, JournalAction, JournalArgs, JournalCommand, MessageFormat, ShowArgs,
    StatusArgs,
};
use crate::errors::{Error, ExitCode};
use crate::style::Style;

fn journal_dir(args: &JournalArgs) -> Result<PathBuf, Error> {
    let choice = match &args.journal {
        Some(dir) => JournalChoice::At(dir.clone()),
        None => JournalChoice::Default,
    };
    Ok(
        discover::journal_dir(args.manifest_path.as_deref(), &choice)?
            .expect("a chosen journal has a folder"),
    )
}

fn open(args: &JournalArgs) -> Result<(PathBuf, Index), Error> {
    let dir = journal_dir(args)?;
    if !dir.join("wal").is_dir() {
        return Err(Error::Usage(format!(
            "no journal at {} yet: `cargo exemplar run` creates it",
            dir.display()
        )));
    }
    let ix = exemplar_store::open_index(&dir)?;
    Ok((dir, ix))
}

fn emit(format: MessageFormat, human: String, machine: &impl Serialize) {
    match format {
        MessageFormat::Human => print!("{human}"),
        MessageFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(machine).expect("the document serializes")
        ),
    }
}

/// Unix seconds as RFC 3339 UTC (`2025-12-01T13:00:00Z`).
pub fn time(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| t.to_string())
}

fn run_summary(ix: &Index, r: &RunRow) -> RunSummary {
    RunSummary {
        run_id: r.run_id.clone(),
        started_at: time(r.started_at),
        ended_at: r.ended_at.map(time),
        complete: r.complete(),
        commit: r.commit.clone(),
        note: r.note.clone(),
        counts: ix.counts(r).unwrap_or_default(),
        missions: r
            .losses
            .iter()
            .map(|m| MissionLoss {
                id: m.mission.clone(),
                loss: round_loss(m.loss),
                directives: m
                    .nodes
                    .iter()
                    .map(|n| NodeLoss {
                        id: n.id.clone(),
                        loss: round_loss(n.loss),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn run_line(ix: &Index, r: &RunRow) -> String {
    let c = ix.counts(r).unwrap_or_default();
    let losses: Vec<String> = r
        .losses
        .iter()
        .map(|m| format!("{} {:.3}", m.mission, m.loss))
        .collect();
    format!(
        "{}  {}  {:<14}  {} passed, {} failed{}  {}{}",
        r.run_id,
        time(r.started_at),
        r.commit.as_deref().unwrap_or("-"),
        c.passed,
        c.failing(),
        if c.ignored > 0 {
            format!(", {} ignored", c.ignored)
        } else {
            String::new()
        },
        if r.complete() {
            losses.join(", ")
        } else {
            "incomplete".into()
        },
        r.note
            .as_deref()
            .map(|n| format!("  ({n})"))
            .unwrap_or_default(),
    )
}

/// Parse `--at`: a run, a commit, or a time.
pub fn parse_at(ix: &Index, spec: &str) -> Result<At, Error> {
    if ix.find_run(spec).is_ok() {
        return Ok(At::Run(spec.to_owned()));
    }
    let hex = spec.len() >= 4 && spec.chars().all(|c| c.is_ascii_hexdigit());
    if hex && ix.resolve_at(&At::Commit(spec.to_owned())).is_ok() {
        return Ok(At::Commit(spec.to_owned()));
    }
    parse_time(spec)
        .map(At::Time)
        .ok_or_else(|| Error::Usage(format!(
            "--at {spec}: not a run id, a commit of a recorded run, or a time (2025-12-01T21:00:00Z, 2025-12-01 21:00, 21:00, 9pm)"
        )))
}

/// A time in the forms people type, local time unless a zone is given.
pub fn parse_time(spec: &str) -> Option<i64> {
    use jiff::civil::{Date, DateTime, Time};
    use jiff::tz::TimeZone;
    if let Ok(ts) = spec.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    let tz = TimeZone::system();
    let normalized = spec.trim().replace(' ', "T");
    if let Ok(dt) = normalized.parse::<DateTime>() {
        return dt.to_zoned(tz).ok().map(|z| z.timestamp().as_second());
    }
    if let Ok(d) = spec.trim().parse::<Date>() {
        return d
            .at(23, 59, 59, 0)
            .to_zoned(tz)
            .ok()
            .map(|z| z.timestamp().as_second());
    }
    // 21:00, 9pm, 9:30pm: the last such moment (today, or yesterday if that is still ahead).
    let s = spec.trim().to_ascii_lowercase();
    let (body, pm) = if let Some(b) = s.strip_suffix("pm") {
        (b.trim().to_owned(), Some(true))
    } else if let Some(b) = s.strip_suffix("am") {
        (b.trim().to_owned(), Some(false))
    } else {
        (s.clone(), None)
    };
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?),
        None => (body.parse::<i8>().ok()?, 0),
    };
    let h = match pm {
        Some(true) if (1..=11).contains(&h) => h + 12,
        Some(false) if h == 12 => 0,
        Some(_) if !(1..=12).contains(&h) => return None,
        _ => h,
    };
    let t = Time::new(h, m, 0, 0).ok()?;
    let now = jiff::Zoned::now().with_time_zone(tz);
    let today = now
        .date()
        .to_datetime(t)
        .to_zoned(now.time_zone().clone())
        .ok()?;
    let at = if today.timestamp() > now.timestamp() {
        today.checked_sub(jiff::Span::new().days(1)).ok()?
    } else {
        today
    };
    Some(at.timestamp().as_second())
}

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
        None => {
            let runs: Vec<RunRow> = ix
                .runs()?
                .into_iter()
                .filter(|r| within(r.started_at, &r.run_id))
                .collect();
            for r in &runs {
                let _ = writeln!(out, "{}", run_line(&ix, r));
            }
            Document::Runs(RunsDocument {
                format: "exemplar-runs".into(),
                version: 1,
                runs: runs.iter().map(|r| run_summary(&ix, r)).collect(),
            })
        }
        Some(t) => {
            let losses: Vec<_> = ix
                .loss_history(t)?
                .into_iter()
                .filter(|p| within(p.started_at, &p.run_id))
                .collect();
            if !losses.is_empty() {
                for p in &losses {
                    let _ = writeln!(
                        out,
                        "{}  {}  {}  {t}  {:.3}",
                        p.run_id,
                        time(p.started_at),
                        p.mission,
                        p.loss
                    );
                }
                Document::Directive(DirectiveHistory {
                    format: "exemplar-directive-history".into(),
                    version: 1,
                    directive: t.clone(),
                    loss: losses
                        .iter()
                        .map(|p| doc::LossPoint {
                            run_id: p.run_id.clone(),
                            started_at: time(p.started_at),
                            mission: p.mission.clone(),
                            loss: round_loss(p.loss),
                        })
                        .collect(),
                })
            } else {
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
                Document::Test(TestHistory {
                    format: "exemplar-test-history".into(),
                    version: 1,
                    test: t.clone(),
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
                })
            }
        }
    };
    emit(args.journal.message_format, out, &value);
    Ok(ExitCode::Ok)
}

/// The document `history` prints: runs, a directive's loss, or a test's outcomes.
#[derive(Serialize)]
#[serde(untagged)]
enum Document {
    Runs(RunsDocument),
    Directive(DirectiveHistory),
    Test(TestHistory),
}

/// `cargo exemplar show`.
pub fn show(args: &ShowArgs, style: Style) -> Result<ExitCode, Error> {
    let (dir, ix) = open(&args.journal)?;
    let run = ix.find_run(&args.run)?;
    let mut out = format!("{}\n", style.bold(&run_line(&ix, &run)));
    let mut tests = Vec::new();
    for o in ix.outcomes(&run.run_id)? {
        let word = Outcome::word_of_code(o.outcome);
        let message = match &o.message {
            Some(h) => ix.blob_text(&dir, h)?,
            None => None,
        };
        let output = match &o.output {
            Some(h) => ix.blob_text(&dir, h)?,
            None => None,
        };
        let painted = if matches!(o.outcome, 1 | 3 | 4) {
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
        if let Some(m) = &message {
            for l in m.lines().take(10) {
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

/// `cargo exemplar diff`.
pub fn diff(args: &DiffArgs, style: Style) -> Result<ExitCode, Error> {
    let (_, ix) = open(&args.journal)?;
    let a = ix.find_run(&args.run_a)?;
    let b = ix.find_run(&args.run_b)?;
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
        let f = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
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

/// `cargo exemplar journal verify|repair|rebuild-index`.
pub fn journal(cmd: &JournalCommand) -> Result<ExitCode, Error> {
    let dir = journal_dir(&cmd.journal)?;
    let fmt = cmd.journal.message_format;
    match cmd.action {
        JournalAction::Verify => {
            let r = exemplar_store::verify(&dir)?;
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
                journal: dir,
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
        }
        JournalAction::Repair => {
            let r = exemplar_store::repair(&dir)?;
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
        }
        JournalAction::RebuildIndex => {
            let t0 = std::time::Instant::now();
            let ix = exemplar_store::Index::rebuild(&dir)?;
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
        }
    }
    Ok(ExitCode::Ok)
}
