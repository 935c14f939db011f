//! The machine report of `run --message-format json`: one [`RunDocument`] (schema
//! `exemplar-run`, version 1) on stdout. The book's "Machine-readable documents" page
//! documents its fields.

use exemplar_formats::run::{MissionSummary, RunDocument, UntaggedFailure};
use exemplar_formats::{Outcome, OutcomeCounts};
use exemplar_mission::update::round_loss;
use exemplar_runner::rows::rows;
use exemplar_runner::{MissionResult, Session};

/// The document.
pub fn document(s: &Session) -> RunDocument {
    RunDocument {
        format: "exemplar-run".into(),
        version: 1,
        run_id: s.run_id.clone(),
        ok: !s.failed() && !s.unrecorded(),
        executed: s.executed,
        counts: s.counts,
        missions: s
            .missions
            .iter()
            .map(|m| {
                let u = &m.update;
                let loss = round_loss(u.loss.mission);
                MissionSummary {
                    id: m.package.mission.id.clone(),
                    name: m.package.mission.name.clone(),
                    package: m.package.name.clone(),
                    path: m.package.display.clone(),
                    loss,
                    previous_loss: u.previous_loss,
                    delta: u.previous_loss.map(|p| round_loss(loss - p)),
                    design_delta: u.design.clone(),
                    changed: u.changed,
                    rewritten: m.rewritten,
                    directives: rows(m),
                    untagged: untagged_counts(m),
                    untagged_filtered: m
                        .tests
                        .iter()
                        .filter(|t| {
                            t.ids.is_empty()
                                && t.outcome.is_none()
                                && t.plan != exemplar_formats::events::Plan::OtherShard
                        })
                        .count(),
                    untagged_failures: m
                        .tests
                        .iter()
                        .filter(|t| t.ids.is_empty() && t.outcome.is_some_and(Outcome::is_failing))
                        .map(|t| UntaggedFailure {
                            reference: t.reference.clone(),
                            binary: t.binary.clone(),
                            outcome: t.outcome.unwrap_or(Outcome::Failed),
                            message: t.message.clone(),
                            output: t.output.clone(),
                        })
                        .collect(),
                }
            })
            .collect(),
        skipped: s.skipped.clone(),
        other_binaries: s.others.clone(),
        not_run: s.not_run,
        rerun_of: s.rerun_of.clone(),
        partition: s.partition.map(|p| p.to_string()),
        other_shards: s.other_shards,
        merged_from: s.merged_from.clone(),
        unrecorded: s.unrecorded.clone(),
    }
}

/// Counts by outcome of a mission's untagged tests.
pub fn untagged_counts(m: &MissionResult) -> OutcomeCounts {
    let mut c = OutcomeCounts::default();
    for o in m
        .tests
        .iter()
        .filter(|t| t.ids.is_empty())
        .filter_map(|t| t.outcome)
    {
        c.add(o);
    }
    c
}

/// The document as pretty JSON.
pub fn render(s: &Session) -> String {
    serde_json::to_string_pretty(&document(s)).expect("the run document serializes")
}
