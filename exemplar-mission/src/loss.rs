//! Loss: how far the code is from what the design demands, per node, per subtree, per mission.
//!
//! The rules (the design document's, in one place):
//!
//! - A link is a (test, node) pair from `#[design(...)]`. Its evidence is the test's latest
//!   outcome: passing, failing (failed, crashed, timeout), ignored, or *unverified* (never run,
//!   or run before the node's fingerprint last changed, i.e. stale).
//! - Ignored tests are not evidence. Unverified ones earn no credit: they count like failures.
//! - Direct loss of a node with non-ignored links = (failing + unverified) / non-ignored links.
//! - A directive with no non-ignored links is *uncovered*: loss 1 (no evidence, no credit).
//!   An idea with children and no links of its own is measured through its children only (it
//!   has no direct loss); an idea without children or links is uncovered like a directive.
//! - `retired` nodes are not measured. `proposed` ones are measured and shown (the gate skips
//!   them; that is the caller's business).
//! - Subtree loss = mean direct loss over the measured nodes of the subtree.
//! - Mission loss = mean direct loss over all measured nodes (0 when nothing is measured).

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{Node, NodeKind, Status};

pub use exemplar_formats::design::Evidence;

/// A (node, evidence) pair contributed by one test.
#[derive(Debug, Clone)]
pub struct Link<'a> {
    /// The node id named in `#[design(...)]`.
    pub node: &'a str,
    /// What the test's latest result says.
    pub evidence: Evidence,
}

/// The loss of one design node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeLoss {
    /// Node id.
    pub id: String,
    /// Idea or directive.
    pub kind: NodeKind,
    /// Lifecycle.
    pub status: Status,
    /// Tests linked to the node.
    pub linked: usize,
    /// Of those, ignored.
    pub ignored: usize,
    /// Of those, passing.
    pub passed: usize,
    /// Of those, failing.
    pub failing: usize,
    /// Of those, unverified (never run, or stale).
    pub unverified: usize,
    /// No evidence at all: loss 1.
    pub uncovered: bool,
    /// Direct loss; `None` when the node is not measured (retired, or an idea measured through
    /// its children).
    pub direct: Option<f64>,
    /// Mean direct loss over the measured nodes of the subtree; `None` when none is measured.
    pub subtree: Option<f64>,
}

/// Loss of every node and of the mission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LossReport {
    /// One entry per design node, in design order.
    pub nodes: Vec<NodeLoss>,
    /// Mean direct loss over all measured nodes.
    pub mission: f64,
}

impl LossReport {
    /// The entry of one node.
    pub fn node(&self, id: &str) -> Option<&NodeLoss> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// Compute the loss of a design from its links.
pub fn compute(design: &[Node], links: &[Link<'_>]) -> LossReport {
    let mut by_node: HashMap<&str, Vec<Evidence>> = HashMap::new();
    for l in links {
        by_node.entry(l.node).or_default().push(l.evidence);
    }
    let has_live_children = |id: &str| {
        design
            .iter()
            .any(|c| c.aspect_id.as_deref() == Some(id) && c.status != Status::Retired)
    };
    let mut nodes: Vec<NodeLoss> = design
        .iter()
        .map(|n| {
            let ev = by_node.get(n.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let count = |e: Evidence| ev.iter().filter(|x| **x == e).count();
            let (passed, failing, ignored, unverified) = (
                count(Evidence::Passed),
                count(Evidence::Failing),
                count(Evidence::Ignored),
                count(Evidence::Unverified),
            );
            let evidence = ev.len() - ignored;
            let (direct, uncovered) = if n.status == Status::Retired {
                (None, false)
            } else if evidence > 0 {
                (Some((failing + unverified) as f64 / evidence as f64), false)
            } else if n.kind() == NodeKind::Idea && has_live_children(&n.id) {
                (None, false)
            } else {
                (Some(1.0), true)
            };
            NodeLoss {
                id: n.id.clone(),
                kind: n.kind(),
                status: n.status,
                linked: ev.len(),
                ignored,
                passed,
                failing,
                unverified,
                uncovered,
                direct,
                subtree: None,
            }
        })
        .collect();
    let direct: HashMap<String, Option<f64>> =
        nodes.iter().map(|n| (n.id.clone(), n.direct)).collect();
    for (i, n) in design.iter().enumerate() {
        let mut members = vec![n.id.clone()];
        let mut k = 0;
        while k < members.len() {
            let cur = members[k].clone();
            for c in design
                .iter()
                .filter(|c| c.aspect_id.as_deref() == Some(cur.as_str()))
            {
                if !members.contains(&c.id) {
                    members.push(c.id.clone());
                }
            }
            k += 1;
        }
        nodes[i].subtree = mean(
            members
                .iter()
                .filter_map(|m| direct.get(m).copied().flatten()),
        );
    }
    let mission = mean(nodes.iter().filter_map(|n| n.direct)).unwrap_or(0.0);
    LossReport { nodes, mission }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Detail, Pos};

    fn node(id: &str, parent: Option<&str>, status: Status) -> Node {
        Node {
            id: id.into(),
            name: id.into(),
            aspect_id: parent.map(Into::into),
            status,
            detail: Detail::default(),
            pos: Pos::default(),
            aspect_pos: Pos::default(),
        }
    }

    fn kv() -> Vec<Node> {
        vec![
            node("S0", None, Status::Active),
            node("S1", Some("S0"), Status::Active),
            node("S2", Some("S0"), Status::Active),
            node("S3", Some("S1"), Status::Active),
        ]
    }

    fn link(node: &str, evidence: Evidence) -> Link<'_> {
        Link { node, evidence }
    }

    #[test]
    fn direct_loss_is_failing_over_non_ignored() {
        let r = compute(
            &kv(),
            &[
                link("S1", Evidence::Passed),
                link("S1", Evidence::Failing),
                link("S1", Evidence::Failing),
                link("S1", Evidence::Passed),
                link("S2", Evidence::Passed),
                link("S3", Evidence::Passed),
            ],
        );
        assert_eq!(r.node("S1").unwrap().direct, Some(0.5));
        assert_eq!(r.node("S2").unwrap().direct, Some(0.0));
    }

    #[test]
    fn uncovered_directive_has_loss_one() {
        let r = compute(
            &kv(),
            &[link("S1", Evidence::Passed), link("S2", Evidence::Passed)],
        );
        let s3 = r.node("S3").unwrap();
        assert!(s3.uncovered);
        assert_eq!(s3.direct, Some(1.0));
        // S1, S2 at 0 and S3 at 1: the mission is at one third.
        assert!((r.mission - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn idea_with_children_is_measured_through_them() {
        let r = compute(
            &kv(),
            &[
                link("S1", Evidence::Passed),
                link("S2", Evidence::Failing),
                link("S3", Evidence::Passed),
            ],
        );
        let s0 = r.node("S0").unwrap();
        assert_eq!(s0.direct, None);
        assert!(!s0.uncovered);
        assert!((s0.subtree.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert!((r.mission - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn idea_with_tests_of_its_own_is_measured_directly() {
        let r = compute(&kv(), &[link("S0", Evidence::Failing)]);
        assert_eq!(r.node("S0").unwrap().direct, Some(1.0));
    }

    #[test]
    fn idea_without_children_or_tests_is_uncovered() {
        let design = vec![node("S0", None, Status::Active)];
        let r = compute(&design, &[]);
        assert!(r.node("S0").unwrap().uncovered);
        assert_eq!(r.mission, 1.0);
    }

    #[test]
    fn ignored_tests_are_not_evidence() {
        let r = compute(
            &kv(),
            &[
                link("S1", Evidence::Ignored),
                link("S1", Evidence::Passed),
                link("S2", Evidence::Ignored),
            ],
        );
        let s1 = r.node("S1").unwrap();
        assert_eq!((s1.linked, s1.ignored, s1.direct), (2, 1, Some(0.0)));
        // Only ignored tests: no evidence, so uncovered.
        let s2 = r.node("S2").unwrap();
        assert!(s2.uncovered);
        assert_eq!(s2.direct, Some(1.0));
    }

    #[test]
    fn unverified_earns_no_credit() {
        let r = compute(
            &kv(),
            &[
                link("S2", Evidence::Passed),
                link("S2", Evidence::Unverified),
            ],
        );
        let s2 = r.node("S2").unwrap();
        assert_eq!(s2.direct, Some(0.5));
        assert_eq!(s2.unverified, 1);
    }

    #[test]
    fn retired_nodes_are_excluded() {
        let mut design = kv();
        design[3].status = Status::Retired; // S3
        let r = compute(
            &design,
            &[
                link("S1", Evidence::Passed),
                link("S2", Evidence::Passed),
                link("S3", Evidence::Failing),
            ],
        );
        assert_eq!(r.node("S3").unwrap().direct, None);
        assert_eq!(r.mission, 0.0);
        assert_eq!(r.node("S1").unwrap().subtree, Some(0.0));
    }

    #[test]
    fn an_idea_whose_children_are_all_retired_is_uncovered() {
        let design = vec![
            node("S0", None, Status::Active),
            node("S1", Some("S0"), Status::Retired),
        ];
        let r = compute(&design, &[]);
        assert!(r.node("S0").unwrap().uncovered);
    }

    #[test]
    fn proposed_nodes_are_measured_and_shown() {
        let mut design = kv();
        design[2].status = Status::Proposed; // S2
        let r = compute(
            &design,
            &[link("S1", Evidence::Passed), link("S3", Evidence::Passed)],
        );
        let s2 = r.node("S2").unwrap();
        assert_eq!(s2.status, Status::Proposed);
        assert_eq!(s2.direct, Some(1.0));
        assert!((r.mission - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn subtree_loss_is_the_mean_over_measured_descendants() {
        let r = compute(
            &kv(),
            &[
                link("S1", Evidence::Failing),
                link("S3", Evidence::Passed),
                link("S2", Evidence::Passed),
            ],
        );
        assert_eq!(r.node("S1").unwrap().subtree, Some(0.5));
        assert_eq!(r.node("S3").unwrap().subtree, Some(0.0));
    }

    #[test]
    fn empty_design_has_zero_loss() {
        assert_eq!(compute(&[], &[]).mission, 0.0);
    }
}
