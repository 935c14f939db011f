//! The rows of the loss table: one per design node, with the tests that count against it.

use std::collections::HashMap;

use exemplar_formats::TestRecord;
use exemplar_formats::events::Plan;
use exemplar_formats::run::{DirectiveRow, FailingTest};
use exemplar_mission::Outcome;
use exemplar_mission::loss::Evidence;
use exemplar_mission::update::{LinkEvidence, round_loss};
use exemplar_mission::{Node, TestId};

use crate::session::MissionResult;

/// What the rows look up, by key, built once per mission (a mission of 1,000 directives and
/// 10,000 tests would otherwise scan every test for every directive).
struct Lookup<'m> {
    nodes: HashMap<&'m str, &'m Node>,
    linked: HashMap<&'m str, Vec<&'m TestRecord>>,
    by_ref: HashMap<&'m str, &'m TestRecord>,
    before: HashMap<&'m str, Option<f64>>,
    links: HashMap<&'m str, Vec<&'m LinkEvidence>>,
    latest: HashMap<TestId, Option<Outcome>>,
}

impl<'m> Lookup<'m> {
    fn new(m: &'m MissionResult) -> Lookup<'m> {
        let mission = &m.package.mission;
        let mut linked: HashMap<&str, Vec<&TestRecord>> = HashMap::new();
        for t in &m.tests {
            for id in &t.ids {
                linked.entry(id.as_str()).or_default().push(t);
            }
        }
        let mut links: HashMap<&str, Vec<&LinkEvidence>> = HashMap::new();
        for l in &m.update.links {
            links.entry(l.node.as_str()).or_default().push(l);
        }
        // The first of each key wins, as a scan would find it.
        let mut nodes = HashMap::new();
        for n in &mission.design {
            nodes.entry(n.id.as_str()).or_insert(n);
        }
        let mut by_ref = HashMap::new();
        for t in &m.tests {
            by_ref.entry(t.reference.as_str()).or_insert(t);
        }
        let mut before = HashMap::new();
        for g in &m.update.gradient {
            before.entry(g.id.as_str()).or_insert(g.before);
        }
        let mut latest = HashMap::new();
        for s in &m.update.signal {
            latest
                .entry(s.id)
                .or_insert(s.result.as_ref().map(|r| r.outcome));
        }
        Lookup {
            nodes,
            linked,
            by_ref,
            before,
            links,
            latest,
        }
    }
}

/// The rows of a mission, in design order.
pub fn rows(m: &MissionResult) -> Vec<DirectiveRow> {
    let mission = &m.package.mission;
    let look = Lookup::new(m);
    m.update
        .loss
        .nodes
        .iter()
        .filter_map(|nl| {
            let node = *look.nodes.get(nl.id.as_str())?;
            let linked = look
                .linked
                .get(nl.id.as_str())
                .map_or(&[][..], Vec::as_slice);
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
                previous_loss: look.before.get(nl.id.as_str()).copied().flatten(),
                invariant: node.detail.text("invariant").map(str::to_owned),
                constraint: node.detail.text("constraint").map(str::to_owned),
                failing_tests: failing_tests(&look, &nl.id),
            })
        })
        .collect()
}

/// The tests that count against `node`: failing, or unverified.
fn failing_tests(look: &Lookup<'_>, node: &str) -> Vec<FailingTest> {
    let links = look.links.get(node).map_or(&[][..], Vec::as_slice);
    links
        .iter()
        .filter(|l| matches!(l.evidence, Evidence::Failing | Evidence::Unverified))
        .map(|l| {
            let seen = look.by_ref.get(l.reference.as_str());
            FailingTest {
                reference: l.reference.clone(),
                file: seen.map(|t| t.file.clone()).unwrap_or_default(),
                line: seen.map(|t| t.line).unwrap_or(0),
                outcome: look.latest.get(&l.test).copied().flatten(),
                evidence: l.evidence,
                message: seen.and_then(|t| t.message.clone()),
                output: seen.and_then(|t| t.output.clone()),
                in_other_shard: seen.is_some_and(|t| t.plan == Plan::OtherShard),
            }
        })
        .collect()
}
