//! `cargo exemplar status`: the loss of the latest run, or of the run `--at` names.

use std::fmt::Write;

use std::collections::BTreeMap;

use exemplar_formats::Outcome;
use exemplar_formats::design::DesignSnapshot;
use exemplar_formats::journal::StatusDocument;
use exemplar_mission::Mission;
use exemplar_store::records::MissionLoss;

use super::at::parse_at;
use super::runs::{emit, open, open_with_workspace, run_line, run_summary};
use crate::cli::StatusArgs;
use crate::errors::{Error, ExitCode};
use crate::style::Style;

/// The design nodes a table shows: id, name, status and depth.
type Rows = Vec<(String, String, &'static str, usize)>;

/// The run's loss per design node, as `run` shows it: the tree with names and status, the
/// tests linked to each node in that run, how many failed, and the loss recorded.
fn write_table(
    out: &mut String,
    m: &MissionLoss,
    nodes: &Rows,
    outcomes: &[exemplar_store::records::Outcome],
    style: Style,
) {
    let width = nodes
        .iter()
        .map(|(_, name, _, depth)| name.chars().count() + 2 * depth)
        .max()
        .unwrap_or(0)
        .max(4);
    let header = format!(
        "  {:<4}  {:<width$}  {:<8}  {:>5}  {:>7}  LOSS",
        "ID", "NAME", "STATUS", "TESTS", "FAILING"
    );
    let _ = writeln!(out, "{}", style.dim(&header));
    for (id, name, status, depth) in nodes {
        let linked: Vec<_> = outcomes
            .iter()
            .filter(|o| o.mission == m.mission && o.ids.contains(id))
            .collect();
        let failing = linked
            .iter()
            .filter(|o| Outcome::from_code(o.outcome).is_some_and(Outcome::is_failing))
            .count();
        let loss = m.nodes.iter().find(|n| &n.id == id).map(|n| n.loss);
        let shown = format!("{}{name}", "  ".repeat(*depth));
        let line = format!(
            "  {id:<4}  {shown:<width$}  {status:<8}  {:>5}  {failing:>7}  {}",
            linked.len(),
            loss.map_or_else(|| "-".to_owned(), |l| format!("{l:.3}"))
        );
        let _ = writeln!(
            out,
            "{}",
            if loss.is_some_and(|l| l > 0.0) {
                style.bad(&line)
            } else {
                line
            }
        );
    }
}

/// `cargo exemplar status`.
pub fn status(args: &StatusArgs, style: Style) -> Result<ExitCode, Error> {
    let human = args.journal.message_format == crate::cli::MessageFormat::Human;
    // For people, the design tree as the mission files say it now (ids alone when the
    // workspace cannot be read).
    let (dir, ix, designs) = if human {
        let (dir, ix, found) = open_with_workspace(&args.journal)?;
        let designs: Vec<Mission> = found
            .map(|d| d.packages.into_iter().map(|p| p.mission).collect())
            .unwrap_or_default();
        (dir, ix, designs)
    } else {
        let (dir, ix) = open(&args.journal)?;
        (dir, ix, Vec::new())
    };
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
    let outcomes = ix.outcomes(&run.run_id)?;
    let kept = kept_designs(&ix, &dir, &run);
    for m in &run.losses {
        let word = format!("loss {:.3}", m.loss);
        let word = if m.loss > 0.0 {
            style.bad(&word)
        } else {
            style.good(&word)
        };
        let design = designs.iter().find(|d| d.id == m.mission);
        let name = design.map(|d| format!(" {}", d.name)).unwrap_or_default();
        let _ = writeln!(out, "\nmission {}{name}: {word}", m.mission);
        let rows = match (kept.get(&m.mission), design) {
            (Some(snap), _) => snap_rows(snap),
            (None, Some(d)) => {
                let _ = writeln!(
                    out,
                    "{}",
                    style.dim("  (this run kept no copy of its design: names and statuses are the mission file's now)")
                );
                d.design
                    .iter()
                    .map(|n| (n.id.clone(), n.name.clone(), n.status.as_str(), d.depth(n)))
                    .collect()
            }
            (None, None) => m
                .nodes
                .iter()
                .map(|n| (n.id.clone(), String::new(), "", 0))
                .collect(),
        };
        write_table(&mut out, m, &rows, &outcomes, style);
    }
    if !run.complete() {
        let _ = writeln!(out, "\n{}", style.warn("this run has no end record (it was interrupted): no loss was recorded; its outcomes:"));
        for o in &outcomes {
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
        designs: kept,
    };
    emit(args.journal.message_format, out, &doc);
    Ok(ExitCode::Ok)
}

/// The design each mission had when `run` started, from the blob its start names.
fn kept_designs(
    ix: &exemplar_store::Index,
    dir: &std::path::Path,
    run: &exemplar_store::RunRow,
) -> BTreeMap<String, DesignSnapshot> {
    run.missions
        .iter()
        .filter_map(|stamp| {
            let hash: [u8; 32] = *stamp.design?;
            let bytes = ix.blob(dir, &hash).ok()??;
            let snap = serde_json::from_slice(&bytes).ok()?;
            Some((stamp.mission.clone(), snap))
        })
        .collect()
}

fn snap_rows(snap: &DesignSnapshot) -> Rows {
    snap.nodes
        .iter()
        .map(|n| {
            (
                n.id.clone(),
                n.name.clone(),
                n.status.as_str(),
                snap.depth(n),
            )
        })
        .collect()
}
