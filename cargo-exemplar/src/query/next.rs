//! `cargo exemplar next` and `cargo exemplar explain ID`: the remediation signal for whoever
//! works on the design next, person or agent. Both read the latest complete run in the journal
//! and the mission files as they are now; `next` orders the measured directives (highest loss
//! first; of equal losses, the one whose loss rose last; then active before proposed) and
//! describes the first with a loss, `explain` describes the one asked about.

use std::fmt::Write;

use exemplar_formats::design::{NodeKind, Status};
use exemplar_formats::next::{
    Convergence, DirectiveWork, FailingTest, NextDocument, QueuedDirective,
};
use exemplar_formats::{Outcome, headline};
use exemplar_mission::update::round_loss;
use exemplar_runner::discover::{Discovery, relative_to};
use exemplar_store::{Index, RunRow};

use super::convergence::{judge, last_rise};
use super::runs::{emit, open_with_workspace};
use crate::cli::{ConvergenceArgs, ExplainArgs, JournalArgs, NextArgs};
use crate::errors::{Error, ExitCode};
use crate::style::Style;

/// What both commands read: the journal, the run, the workspace.
struct Reading {
    dir: std::path::PathBuf,
    ix: Index,
    run: RunRow,
    workspace: Discovery,
    window: usize,
    tolerance: f64,
    /// Run id → its place in the journal's order of runs.
    order: std::collections::HashMap<String, usize>,
}

/// A measured directive, ordered for `next`.
struct Candidate {
    mission: String,
    id: String,
    active: bool,
    loss: f64,
    losses: Vec<f64>,
    convergence: Convergence,
    /// (place in the journal's order, run id) of the run in which the loss last rose.
    rose: Option<(usize, String)>,
}

/// `cargo exemplar next`.
pub fn next(args: &NextArgs, style: Style) -> Result<ExitCode, Error> {
    let r = read(&args.journal, args.convergence)?;
    let mut queue = candidates(&r)?;
    queue.sort_by(|a, b| {
        b.loss
            .total_cmp(&a.loss)
            .then_with(|| b.rose.cmp(&a.rose))
            .then_with(|| b.active.cmp(&a.active))
    });
    let first = queue.iter().find(|c| c.loss > r.tolerance);
    let directive = first.map(|c| work(&r, c)).transpose()?;
    let mut out = String::new();
    match &directive {
        Some(d) => write_work(&mut out, "next", d, style),
        None => {
            let _ = writeln!(
                out,
                "{} every measured directive is at loss 0 in run {}",
                style.good("nothing to do:"),
                r.run.run_id
            );
        }
    }
    let rest: Vec<&Candidate> = queue
        .iter()
        .filter(|c| c.loss > r.tolerance)
        .skip(1)
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(out, "\n{}", style.dim("then:"));
        for c in rest.iter().take(10) {
            let (m, id, loss, conv) = (&c.mission, &c.id, c.loss, c.convergence.as_str());
            let _ = writeln!(out, "  {m}/{id}  loss {loss:.3}  {conv}");
        }
    }
    let doc = NextDocument {
        format: "exemplar-next".into(),
        version: 1,
        run_id: r.run.run_id.clone(),
        window: r.window,
        tolerance: r.tolerance,
        directive,
        queue: queue
            .iter()
            .map(|c| QueuedDirective {
                mission: c.mission.clone(),
                id: c.id.clone(),
                loss: c.loss,
                convergence: c.convergence,
            })
            .collect(),
    };
    emit(args.journal.message_format, out, &doc);
    Ok(ExitCode::Ok)
}

/// `cargo exemplar explain ID`.
pub fn explain(args: &ExplainArgs, style: Style) -> Result<ExitCode, Error> {
    let r = read(&args.journal, args.convergence)?;
    let (mission, id) = match args.id.rsplit_once('/') {
        Some((m, id)) => (Some(m), id),
        None => (None, args.id.as_str()),
    };
    let found: Vec<Candidate> = candidates(&r)?
        .into_iter()
        .filter(|c| c.id == id && mission.is_none_or(|m| m == c.mission))
        .collect();
    let c = match found.as_slice() {
        [c] => c,
        [] => return Err(Error::Usage(not_measured(&r, mission, id))),
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|c| format!("{}/{id}", c.mission))
                .collect();
            return Err(Error::Usage(format!(
                "several missions have a {id}: say which, as {}",
                names.join(" or ")
            )));
        }
    };
    let d = work(&r, c)?;
    let mut out = String::new();
    write_work(&mut out, "explain", &d, style);
    let doc = NextDocument {
        format: "exemplar-explain".into(),
        version: 1,
        run_id: r.run.run_id.clone(),
        window: r.window,
        tolerance: r.tolerance,
        directive: Some(d),
        queue: Vec::new(),
    };
    emit(args.journal.message_format, out, &doc);
    Ok(ExitCode::Ok)
}

/// Why `id` (of `mission`, when given) has nothing to explain.
fn not_measured(r: &Reading, mission: Option<&str>, id: &str) -> String {
    let nodes = r
        .workspace
        .packages
        .iter()
        .filter(|p| mission.is_none_or(|m| m == p.mission.id))
        .flat_map(|p| p.mission.design.iter().filter(|n| n.id == id));
    match nodes.map(|n| (n.kind(), n.status)).next() {
        None => format!("no directive {id} in the mission files"),
        Some((NodeKind::Idea, _)) => format!(
            "{id} is an idea: its loss is its directives', explain one of them (`cargo exemplar status` shows the tree)"
        ),
        Some((_, Status::Retired)) => format!("{id} is retired: it is not measured"),
        Some(_) => format!(
            "run {} did not measure {id} (it is new since): `cargo exemplar run` first",
            r.run.run_id
        ),
    }
}

fn read(journal: &JournalArgs, conv: ConvergenceArgs) -> Result<Reading, Error> {
    if conv.window == 0 || !(0.0..1.0).contains(&conv.tolerance) {
        return Err(Error::Usage(
            "--window must be at least 1 and --tolerance between 0 and 1".into(),
        ));
    }
    let (dir, ix, workspace) = open_with_workspace(journal)?;
    let workspace = workspace.ok_or_else(|| {
        Error::Usage(
            "the workspace's mission files cannot be read: `cargo exemplar run` says why".into(),
        )
    })?;
    let runs = ix.runs()?;
    let order = runs
        .iter()
        .enumerate()
        .map(|(i, r)| (r.run_id.clone(), i))
        .collect();
    let run = runs
        .into_iter()
        .rev()
        .find(RunRow::complete)
        .ok_or_else(|| {
            Error::Usage("no complete run in the journal yet: `cargo exemplar run`".into())
        })?;
    Ok(Reading {
        order,
        dir,
        ix,
        run,
        workspace,
        window: conv.window,
        tolerance: conv.tolerance,
    })
}

/// Every directive the run measured that the design still has (proposed or active).
fn candidates(r: &Reading) -> Result<Vec<Candidate>, Error> {
    let mut out = Vec::new();
    for m in &r.run.losses {
        let Some(pkg) = r
            .workspace
            .packages
            .iter()
            .find(|p| p.mission.id == m.mission)
        else {
            continue;
        };
        // One pass over the loss history for every node of the mission.
        let histories = r.ix.loss_histories(&m.mission)?;
        for n in &m.nodes {
            let Some(node) = pkg.mission.design.iter().find(|d| d.id == n.id) else {
                continue;
            };
            if node.kind() != NodeKind::Directive || node.status == Status::Retired {
                continue;
            }
            let history = histories.get(&n.id).map_or(&[][..], Vec::as_slice);
            out.push(candidate(
                r,
                &m.mission,
                &n.id,
                node.status,
                n.loss,
                history,
            ));
        }
    }
    Ok(out)
}

fn candidate(
    r: &Reading,
    mission: &str,
    id: &str,
    status: Status,
    loss: f64,
    history: &[exemplar_store::LossPoint],
) -> Candidate {
    // In the journal's order, up to the run read.
    let end = history
        .iter()
        .position(|p| p.run_id == r.run.run_id)
        .map_or(history.len(), |i| i + 1);
    let start = end.saturating_sub(r.window);
    let window = &history[start..end];
    let losses: Vec<f64> = window.iter().map(|p| round_loss(p.loss)).collect();
    let losses = if losses.is_empty() {
        vec![round_loss(loss)]
    } else {
        losses
    };
    let rose = last_rise(&losses, r.tolerance, start == 0)
        .and_then(|i| window.get(i))
        .map(|p| {
            (
                r.order.get(&p.run_id).copied().unwrap_or(0),
                p.run_id.clone(),
            )
        });
    Candidate {
        mission: mission.to_owned(),
        id: id.to_owned(),
        active: status == Status::Active,
        loss: round_loss(loss),
        convergence: judge(&losses, r.tolerance),
        losses,
        rose,
    }
}

/// The directive `c` described: the design's words, its failing tests, its source files.
fn work(r: &Reading, c: &Candidate) -> Result<DirectiveWork, Error> {
    let pkg = r
        .workspace
        .packages
        .iter()
        .find(|p| p.mission.id == c.mission)
        .expect("a candidate's mission is in the workspace");
    let node = pkg.mission.design.iter().find(|n| n.id == c.id);
    let text = |key: &str| node.and_then(|n| n.detail.text(key)).map(str::to_owned);
    let source = |reference: &str| -> String {
        let file = reference.split_once("::").map_or(reference, |(f, _)| f);
        relative_to(&pkg.dir.join(file), &r.workspace.root)
            .display()
            .to_string()
    };
    let mut failing_tests = Vec::new();
    let mut source_files = Vec::new();
    for o in r.ix.outcomes(&r.run.run_id)? {
        if o.mission != c.mission || !o.ids.contains(&c.id) {
            continue;
        }
        source_files.push(source(&o.reference));
        let Some(outcome) = Outcome::from_code(o.outcome).filter(|x| x.is_failing()) else {
            continue;
        };
        let message = match &o.message {
            Some(h) => r.ix.blob_text(&r.dir, h)?,
            None => None,
        };
        failing_tests.push(FailingTest {
            file: source(&o.reference),
            reference: o.reference,
            line: o.line,
            outcome,
            message,
        });
    }
    source_files.sort();
    source_files.dedup();
    Ok(DirectiveWork {
        mission: c.mission.clone(),
        id: c.id.clone(),
        name: node.map(|n| n.name.clone()).unwrap_or_default(),
        status: if c.active { "active" } else { "proposed" }.into(),
        invariant: text("invariant"),
        constraint: text("constraint"),
        loss: c.loss,
        convergence: c.convergence,
        losses: c.losses.clone(),
        rose_in: c.rose.as_ref().map(|(_, run)| run.clone()),
        failing_tests,
        source_files,
    })
}

fn write_work(out: &mut String, verb: &str, d: &DirectiveWork, style: Style) {
    let title = format!("{verb}: {}/{} {}", d.mission, d.id, d.name);
    let losses: Vec<String> = d.losses.iter().map(|l| format!("{l:.3}")).collect();
    let _ = writeln!(
        out,
        "{}  ({}, loss {:.3}, {} over the last {} run(s): {})",
        style.bold(&title),
        d.status,
        d.loss,
        d.convergence.as_str(),
        d.losses.len(),
        losses.join(" → ")
    );
    for (word, value) in [("invariant", &d.invariant), ("constraint", &d.constraint)] {
        if let Some(v) = value {
            let _ = writeln!(out, "  {word:<11} {v}");
        }
    }
    if d.failing_tests.is_empty() {
        let none = match d.loss > 0.0 {
            true => "none fails: no test verifies it yet, or its evidence is older than it",
            false => "none",
        };
        let _ = writeln!(out, "  failing     {none}");
    }
    for t in &d.failing_tests {
        let place = format!("{}:{}", t.file, t.line);
        let first = t.message.as_deref().map(headline).unwrap_or("");
        let _ = writeln!(
            out,
            "  {}  {place}  {}  {first}",
            style.bad(t.outcome.as_str()),
            t.reference
        );
    }
    if !d.source_files.is_empty() {
        let _ = writeln!(out, "  sources     {}", d.source_files.join(", "));
    }
    if let Some(m) = d.failing_tests.iter().find_map(|t| t.message.as_deref()) {
        let _ = writeln!(out, "\n{}", style.dim("first failure, whole:"));
        for line in m.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
}
