//! The machine report of `run --message-format json`: one [`RunDocument`] (schema
//! `exemplar-run`, version 1) on stdout. The book's CLI reference documents its fields.

use exemplar_formats::run::{MissionSummary, RunDocument};
use exemplar_mission::update::round_loss;
use exemplar_runner::Session;
use exemplar_runner::rows::rows;

/// The document.
pub fn document(s: &Session) -> RunDocument {
    RunDocument {
        format: "exemplar-run".into(),
        version: 1,
        run_id: s.run_id.clone(),
        ok: !s.failed(),
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
                }
            })
            .collect(),
        skipped: s.skipped.clone(),
        other_binaries: s.others.clone(),
    }
}

/// The document as pretty JSON.
pub fn render(s: &Session) -> String {
    serde_json::to_string_pretty(&document(s)).expect("the run document serializes")
}
