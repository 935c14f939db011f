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
                    FailingTest {
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
            Some(DirectiveRow {
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
