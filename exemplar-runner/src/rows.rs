//! The rows of the loss table: one per design node, with the tests that count against it.

use exemplar_formats::events::Plan;
use exemplar_mission::loss::Evidence;
use exemplar_mission::update::round_loss;
use exemplar_mission::{NodeKind, Outcome, Status};
use serde::Serialize;

use crate::session::MissionResult;

/// A failing (or unverified) test of a directive, with what an agent needs to act on it.
#[derive(Debug, Clone, Serialize)]
pub struct TestRow {
    /// `tests/kv.rs::wal_ordering`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// File relative to the package.
    pub file: String,
    /// Line of the function.
    pub line: u32,
    /// Latest outcome (`None`: never ran).
    pub outcome: Option<Outcome>,
    /// Why it counts against the directive.
    pub evidence: Evidence,
    /// Failure message of this run.
    pub message: Option<String>,
}

/// One line of the loss table.
#[derive(Debug, Clone, Serialize)]
pub struct NodeRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Idea or directive.
    pub kind: NodeKind,
    /// Lifecycle.
    pub status: Status,
    /// Depth in the design tree (0 for roots).
    pub depth: usize,
    /// Tests linked.
    pub linked: usize,
    /// Of those, ran in this run (not ignored, not filtered).
    pub ran: usize,
    /// Of those, filtered out of this run.
    pub filtered: usize,
    /// Of those, ignored.
    pub ignored: usize,
    /// Failing (this run, or the latest result of a filtered test).
    pub failing: usize,
    /// Never ran, or ran before the node last changed.
    pub unverified: usize,
    /// No evidence at all.
    pub uncovered: bool,
    /// Direct loss (`None`: measured through its children, or retired).
    pub loss: Option<f64>,
    /// Mean loss over the subtree.
    pub subtree_loss: Option<f64>,
    /// Loss at the previous history entry.
    pub previous_loss: Option<f64>,
    /// `detail.invariant`.
    pub invariant: Option<String>,
    /// `detail.constraint`.
    pub constraint: Option<String>,
    /// Tests that count against it.
    pub failing_tests: Vec<TestRow>,
}

/// The rows of a mission, in design order.
pub fn rows(m: &MissionResult) -> Vec<NodeRow> {
    let mission = &m.package.mission;
    m.update
        .loss
        .nodes
        .iter()
        .filter_map(|nl| {
            let node = mission.node(&nl.id)?;
            let linked: Vec<_> = m.tests.iter().filter(|t| t.ids.contains(&nl.id)).collect();
            let ran = linked
                .iter()
                .filter(|t| t.outcome.is_some_and(|o| o != Outcome::Ignored))
                .count();
            let filtered = linked.iter().filter(|t| t.plan == Plan::Filtered).count();
            let failing_tests = m
                .update
                .links
                .iter()
                .filter(|(_, _, n, e)| {
                    *n == nl.id && matches!(e, Evidence::Failing | Evidence::Unverified)
                })
                .map(|(id, reference, _, evidence)| {
                    let seen = m.tests.iter().find(|t| t.reference == *reference);
                    let latest = m
                        .update
                        .signal
                        .iter()
                        .find(|s| s.id == *id)
                        .and_then(|s| s.result.as_ref())
                        .map(|r| r.outcome);
                    TestRow {
                        reference: reference.clone(),
                        file: seen.map(|t| t.file.clone()).unwrap_or_default(),
                        line: seen.map(|t| t.line).unwrap_or(0),
                        outcome: latest,
                        evidence: *evidence,
                        message: seen.and_then(|t| t.message.clone()),
                    }
                })
                .collect();
            let mut depth = 0;
            let mut cur = node.aspect_id.clone();
            while let Some(p) = cur {
                depth += 1;
                if depth > mission.design.len() {
                    break;
                }
                cur = mission.node(&p).and_then(|n| n.aspect_id.clone());
            }
            Some(NodeRow {
                id: nl.id.clone(),
                name: node.name.clone(),
                kind: nl.kind,
                status: nl.status,
                depth,
                linked: nl.linked,
                ran,
                filtered,
                ignored: nl.ignored,
                failing: nl.failing,
                unverified: nl.unverified,
                uncovered: nl.uncovered,
                loss: nl.direct.map(round_loss),
                subtree_loss: nl.subtree.map(round_loss),
                previous_loss: m
                    .update
                    .gradient
                    .iter()
                    .find(|g| g.id == nl.id)
                    .and_then(|g| g.before),
                invariant: node.detail.text("invariant").map(str::to_owned),
                constraint: node.detail.text("constraint").map(str::to_owned),
                failing_tests,
            })
        })
        .collect()
}
