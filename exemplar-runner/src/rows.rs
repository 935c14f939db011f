//! The rows of the loss table: one per design node, with the tests that count against it.

use exemplar_formats::events::Plan;
use exemplar_formats::run::{DirectiveRow, FailingTest};
use exemplar_mission::Outcome;
use exemplar_mission::loss::Evidence;
use exemplar_mission::update::round_loss;

use crate::session::MissionResult;

/// The rows of a mission, in design order.
pub fn rows(m: &MissionResult) -> Vec<DirectiveRow> {
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
            Some(DirectiveRow {
                id: nl.id.clone(),
                name: node.name.clone(),
                kind: nl.kind,
                status: nl.status,
                depth: mission.depth(node),
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
                failing_tests: failing_tests(m, &nl.id),
            })
        })
        .collect()
}

/// The tests that count against `node`: failing, or unverified.
fn failing_tests(m: &MissionResult, node: &str) -> Vec<FailingTest> {
    m.update
        .links
        .iter()
        .filter(|l| {
            l.node == node && matches!(l.evidence, Evidence::Failing | Evidence::Unverified)
        })
        .map(|l| {
            let seen = m.tests.iter().find(|t| t.reference == l.reference);
            let latest = m
                .update
                .signal
                .iter()
                .find(|s| s.id == l.test)
                .and_then(|s| s.result.as_ref())
                .map(|r| r.outcome);
            FailingTest {
                reference: l.reference.clone(),
                file: seen.map(|t| t.file.clone()).unwrap_or_default(),
                line: seen.map(|t| t.line).unwrap_or(0),
                outcome: latest,
                evidence: l.evidence,
                message: seen.and_then(|t| t.message.clone()),
                output: seen.and_then(|t| t.output.clone()),
            }
        })
        .collect()
}
