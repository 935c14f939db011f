//! The report as JSON for agents: one [`ReportDocument`] (schema `exemplar-report`, version 1;
//! fields are only added within a version). The book's CLI reference documents its fields.

use exemplar_formats::journal::{LossChange, NodeRef};
use exemplar_formats::report::{
    LatestRun, ReportDesignChanges, ReportDiff, ReportDocument, ReportFlaky, ReportLoss,
    ReportMission, ReportNode, ReportRun, ReportTest,
};
use exemplar_mission::update::round_loss;
use exemplar_store::RunDiff;

use super::data::ReportData;
use crate::query::time;

/// The document.
pub fn document(d: &ReportData) -> ReportDocument {
    ReportDocument {
        format: "exemplar-report".into(),
        version: 1,
        runs: runs(d),
        missions: missions(d),
        latest: d.latest().map(|r| LatestRun {
            run_id: r.run_id.clone(),
            tests: d
                .tests
                .iter()
                .map(|t| ReportTest {
                    mission: t.mission.clone(),
                    reference: t.reference.clone(),
                    binary: t.binary.clone(),
                    ids: t.ids.clone(),
                    outcome: t.outcome,
                    duration: t.duration,
                    message: t.message.clone(),
                })
                .collect(),
        }),
        flaky: d
            .flaky
            .iter()
            .map(|f| ReportFlaky {
                mission: f.mission.clone(),
                reference: f.reference.clone(),
                commit: f.commit.clone(),
                outcomes: f.outcomes.iter().map(|o| o.outcome).collect(),
            })
            .collect(),
        diff: d.diff.as_ref().map(|(a, b, x)| diff(a, b, x)),
    }
}

fn runs(d: &ReportData) -> Vec<ReportRun> {
    d.runs
        .iter()
        .zip(&d.counts)
        .map(|(r, c)| ReportRun {
            run_id: r.run_id.clone(),
            started_at: time(r.started_at),
            commit: r.commit.clone(),
            complete: r.complete(),
            counts: *c,
            losses: r
                .losses
                .iter()
                .map(|l| {
                    let loss = ReportLoss {
                        loss: round_loss(l.loss),
                        directives: l
                            .nodes
                            .iter()
                            .map(|n| (n.id.clone(), round_loss(n.loss)))
                            .collect(),
                    };
                    (l.mission.clone(), loss)
                })
                .collect(),
        })
        .collect()
}

fn missions(d: &ReportData) -> Vec<ReportMission> {
    d.missions
        .iter()
        .map(|m| ReportMission {
            id: m.id.clone(),
            name: m.name.clone(),
            loss: m.loss.map(round_loss),
            directives: m
                .nodes
                .iter()
                .map(|n| ReportNode {
                    id: n.id.clone(),
                    name: n.name.clone(),
                    status: n.status,
                    depth: n.depth,
                    invariant: n.invariant.clone(),
                    loss: n.loss.map(round_loss),
                    eras: n.eras.clone(),
                })
                .collect(),
        })
        .collect()
}

fn diff(from: &str, to: &str, x: &RunDiff) -> ReportDiff {
    let names = |nodes: &[NodeRef]| -> Vec<String> {
        nodes
            .iter()
            .map(|n| format!("{}/{}", n.mission, n.id))
            .collect()
    };
    ReportDiff {
        from: from.to_owned(),
        to: to.to_owned(),
        flipped: x.flipped.clone(),
        loss: x
            .loss
            .iter()
            .map(|c| LossChange {
                from: c.from.map(round_loss),
                to: c.to.map(round_loss),
                ..c.clone()
            })
            .collect(),
        design: ReportDesignChanges {
            added: names(&x.design.added),
            changed: names(&x.design.changed),
            removed: names(&x.design.removed),
        },
    }
}
