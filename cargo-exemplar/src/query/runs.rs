//! The journal as the query commands open it, and a run as a line and as a summary.

use std::path::PathBuf;

use exemplar_formats::journal::{MissionLoss, NodeLoss, RunSummary};
use exemplar_mission::update::round_loss;
use exemplar_runner::{JournalChoice, discover};
use exemplar_store::{Index, RunRow};
use serde::Serialize;

use crate::cli::{JournalArgs, MessageFormat};
use crate::errors::Error;

pub(super) fn journal_dir(args: &JournalArgs) -> Result<PathBuf, Error> {
    let choice = match &args.journal {
        Some(dir) => JournalChoice::At(dir.clone()),
        None => JournalChoice::Default,
    };
    Ok(
        discover::journal_dir(args.manifest_path.as_deref(), &choice)?
            .expect("a chosen journal has a folder"),
    )
}

/// The journal, and the workspace's missions as their files say now (`None` when the
/// workspace cannot be read), found with one `cargo metadata`.
pub fn open_with_workspace(
    args: &JournalArgs,
) -> Result<(PathBuf, Index, Option<discover::Discovery>), Error> {
    let selection = exemplar_runner::Selection {
        workspace: true,
        manifest_path: args.manifest_path.clone(),
        ..exemplar_runner::Selection::default()
    };
    match discover::discover(&selection) {
        Ok(found) => {
            let dir = match &args.journal {
                Some(dir) => dir.clone(),
                None => exemplar_runner::journal::location(&JournalChoice::Default, &found.root)
                    .expect("the default journal has a folder"),
            };
            let ix = open_index(&dir)?;
            Ok((dir, ix, Some(found)))
        }
        Err(_) => {
            let (dir, ix) = open(args)?;
            Ok((dir, ix, None))
        }
    }
}

pub(super) fn open(args: &JournalArgs) -> Result<(PathBuf, Index), Error> {
    let dir = journal_dir(args)?;
    let ix = open_index(&dir)?;
    Ok((dir, ix))
}

/// The index of the journal at `dir`, or a usage error when no run has created it yet.
pub fn open_index(dir: &std::path::Path) -> Result<Index, Error> {
    if !dir.join("wal").is_dir() {
        return Err(Error::Usage(format!(
            "no journal at {} yet: `cargo exemplar run` creates it",
            dir.display()
        )));
    }
    Ok(exemplar_store::open_index(dir)?)
}

/// Print `human` for people, or `machine` as pretty JSON for `--message-format json`.
pub fn emit(format: MessageFormat, human: String, machine: &impl Serialize) {
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

pub(super) fn run_summary(ix: &Index, r: &RunRow) -> RunSummary {
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

pub(super) fn run_line(ix: &Index, r: &RunRow) -> String {
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
        match (r.complete(), r.partition()) {
            (false, _) => "incomplete".into(),
            (true, None) => losses.join(", "),
            (true, Some(p)) => format!(
                "shard {p} ({} tests in other shards; its loss is of this shard alone)",
                r.other_shards.len()
            ),
        },
        r.note
            .as_deref()
            .map(|n| format!("  ({n})"))
            .unwrap_or_default(),
    )
}
