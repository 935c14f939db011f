//! Merging a run into a mission: the next `signal:`, the next `history:` entry, and the loss.
//!
//! The rules:
//! - A test keeps its `T` id for life; a new test gets the next id, which is never one a
//!   deleted test had (the newest history entry remembers `next_test_id`).
//! - A test that did not run this time (filtered out) keeps its previous result; one dealt to
//!   another shard (`--partition`) has none in this run's signal.
//! - A test the run's inventory no longer lists is dropped, but only when the inventory is
//!   complete (every test binary of the package reported its tests).
//! - Evidence older than the last change of a node's fingerprint is stale for that node.
//! - A history entry is added when anything the file records would differ: a test's outcome,
//!   links or presence, the design, a link's evidence (a stale test re-verified), or the loss
//!   against the newest entry. So the newest entry always carries the loss of the signal it
//!   sits beside. When nothing differs, [`Update::changed`] is false and the file is left
//!   alone (byte-identical), although durations and timestamps differ.

use std::collections::HashMap;

use exemplar_formats::TestRecord;
use serde::Serialize;

use crate::fingerprint::Fingerprint;
use crate::loss::{self, Evidence, Link, LossReport};
use crate::model::{
    DesignDelta, HistoryEntry, Mission, Outcome, SignalEntry, SignalResult, Status, TestId,
};
use crate::time::epoch_millis;

/// A run, as the update needs it.
#[derive(Debug, Clone)]
pub struct RunInput {
    /// Every test of the package that the run listed, with this run's outcome (`None`: it did
    /// not run). Untagged tests (no ids) are never written to `signal:`.
    pub tests: Vec<TestRecord>,
    /// True when every test binary of the package listed its tests (so absence means deletion).
    pub inventory_complete: bool,
    /// The run's time, RFC 3339 UTC (milliseconds); stamped on every result of the run. It must
    /// be later than every timestamp the mission already holds.
    pub timestamp: String,
    /// `1a2b3c4` or `1a2b3c4+dirty`.
    pub commit: Option<String>,
    /// `run --note`.
    pub note: Option<String>,
    /// How many history entries to keep.
    pub history_cap: usize,
}

/// Per-node change of loss from the previous history entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gradient {
    /// Node id.
    pub id: String,
    /// Loss at the previous entry, if it was measured then.
    pub before: Option<f64>,
    /// Loss now, if measured.
    pub after: Option<f64>,
}

/// The result of merging a run into a mission.
#[derive(Debug, Clone)]
pub struct Update {
    /// The next `signal:`.
    pub signal: Vec<SignalEntry>,
    /// The next `history:` (with the new entry when something changed).
    pub history: Vec<HistoryEntry>,
    /// Whether the file must be rewritten.
    pub changed: bool,
    /// Loss of every node and the mission, from the new signal.
    pub loss: LossReport,
    /// The mission loss of the previous history entry.
    pub previous_loss: Option<f64>,
    /// Design change since the previous entry.
    pub design: DesignDelta,
    /// Per-node gradient.
    pub gradient: Vec<Gradient>,
    /// Evidence per (test, node) link, for reports.
    pub links: Vec<LinkEvidence>,
}

/// What one test's latest result says about one node it is linked to.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkEvidence {
    /// The test's id.
    pub test: TestId,
    /// The test's ref.
    pub reference: String,
    /// The node.
    pub node: String,
    /// What its latest result says.
    pub evidence: Evidence,
}

/// Loss values are kept to four decimals in the file.
pub fn round_loss(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// Durations are kept to milliseconds in the file.
pub fn round_duration(v: f64) -> f64 {
    (v.max(0.0) * 1000.0).round() / 1000.0
}

/// Merge `run` into `mission`.
pub fn apply(mission: &Mission, run: &RunInput) -> Update {
    let last = mission.history.last();
    let (signal, next_id) = next_signal(mission, run);
    let eras = Eras::of(mission, &run.timestamp);
    let links = evidence(&signal, &eras.start);
    let loss = loss::compute(
        &mission.design,
        &links
            .iter()
            .map(|l| Link {
                node: &l.node,
                evidence: l.evidence,
            })
            .collect::<Vec<_>>(),
    );
    let changed = last.is_none()
        || !eras.delta.is_empty()
        || signal_differs(&signal, &mission.signal)
        || evidence(&mission.signal, &eras.start) != links
        || last.is_some_and(|h| !same_loss(h, &loss));
    let mut history = mission.history.clone();
    if changed {
        history.push(history_entry(last, run, &loss, &eras, next_id));
        let cap = run.history_cap.max(1);
        if history.len() > cap {
            history.drain(..history.len() - cap);
        }
    }
    Update {
        signal,
        history,
        changed,
        gradient: gradient(last, &loss),
        loss,
        previous_loss: last.map(|h| h.loss),
        design: eras.delta,
        links,
    }
}

/// The next `signal:`: every known test with this run's outcome (or its last one when it did
/// not run), then the tests seen for the first time, each with a new id. Also the next free id.
fn next_signal(mission: &Mission, run: &RunInput) -> (Vec<SignalEntry>, u32) {
    let mut next_id = mission
        .signal
        .iter()
        .map(|s| s.id.0 + 1)
        .max()
        .unwrap_or(0)
        .max(
            mission
                .history
                .last()
                .and_then(|h| h.next_test_id)
                .unwrap_or(0),
        );
    let old: HashMap<&str, &SignalEntry> = mission
        .signal
        .iter()
        .map(|s| (s.reference.as_str(), s))
        .collect();
    let tagged = || run.tests.iter().filter(|t| !t.ids.is_empty());
    let observed: HashMap<&str, &TestRecord> =
        tagged().map(|t| (t.reference.as_str(), t)).collect();
    // A test of another shard is no evidence here, not even its last result: a shard's loss
    // is of what it ran (and a shard never rewrites the file).
    let fresh = |t: &TestRecord, prev: Option<&SignalResult>| match t.outcome {
        Some(outcome) => Some(SignalResult {
            outcome,
            duration: round_duration(t.duration),
            timestamp: run.timestamp.clone(),
        }),
        None if t.plan == exemplar_formats::events::Plan::OtherShard => None,
        None => prev.cloned(),
    };
    let mut signal: Vec<SignalEntry> = Vec::new();
    for s in &mission.signal {
        match observed.get(s.reference.as_str()) {
            Some(t) => signal.push(SignalEntry {
                id: s.id,
                reference: s.reference.clone(),
                spec_ids: t.ids.clone(),
                result: fresh(t, s.result.as_ref()),
            }),
            None if !run.inventory_complete => signal.push(s.clone()),
            None => {}
        }
    }
    let mut new_tests: Vec<&TestRecord> = tagged()
        .filter(|t| !old.contains_key(t.reference.as_str()))
        .collect();
    new_tests.sort_by(|a, b| a.reference.cmp(&b.reference));
    new_tests.dedup_by(|a, b| a.reference == b.reference);
    for t in new_tests {
        signal.push(SignalEntry {
            id: TestId(next_id),
            reference: t.reference.clone(),
            spec_ids: t.ids.clone(),
            result: fresh(t, None),
        });
        next_id += 1;
    }
    (signal, next_id)
}

/// The design as this run sees it: each live node's fingerprint, the change since the
/// previous history entry, and when each node's current era began (its fingerprint's first
/// entry in the unbroken run of newest entries that carry it; this run, for a changed node).
struct Eras {
    fingerprints: Vec<(String, String)>,
    delta: DesignDelta,
    start: HashMap<String, i64>,
}

impl Eras {
    fn of(mission: &Mission, timestamp: &str) -> Eras {
        let fingerprints: Vec<(String, String)> = mission
            .design
            .iter()
            .filter(|n| n.status != Status::Retired)
            .map(|n| (n.id.clone(), Fingerprint::of(n).short()))
            .collect();
        let prev: HashMap<&str, &str> = mission
            .history
            .last()
            .map(|h| {
                h.fingerprints
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        let mut delta = DesignDelta::default();
        for (id, fp) in &fingerprints {
            match prev.get(id.as_str()) {
                None => delta.added.push(id.clone()),
                Some(p) if p != fp => delta.changed.push(id.clone()),
                Some(_) => {}
            }
        }
        for id in prev.keys() {
            if !fingerprints.iter().any(|(k, _)| k == id) {
                delta.removed.push((*id).to_owned());
            }
        }
        delta.removed.sort();
        let run_ms = epoch_millis(timestamp).unwrap_or(i64::MAX);
        let start = fingerprints
            .iter()
            .map(|(id, fp)| {
                let mut start = run_ms;
                for h in mission.history.iter().rev() {
                    let same = h.fingerprints.iter().any(|(k, v)| k == id && v == fp);
                    match (same, epoch_millis(&h.timestamp)) {
                        (true, Some(t)) => start = t,
                        _ => break,
                    }
                }
                (id.clone(), start)
            })
            .collect();
        Eras {
            fingerprints,
            delta,
            start,
        }
    }
}

/// The history entry of this run.
fn history_entry(
    last: Option<&HistoryEntry>,
    run: &RunInput,
    loss: &LossReport,
    eras: &Eras,
    next_id: u32,
) -> HistoryEntry {
    let mission_loss = round_loss(loss.mission);
    HistoryEntry {
        iteration: last.map(|h| h.iteration + 1).unwrap_or(1),
        timestamp: run.timestamp.clone(),
        commit: run.commit.clone(),
        loss: mission_loss,
        delta: last.map(|h| round_loss(mission_loss - h.loss)),
        directives: loss
            .nodes
            .iter()
            .filter_map(|n| n.direct.map(|d| (n.id.clone(), round_loss(d))))
            .collect(),
        design: eras.delta.clone(),
        note: run.note.clone(),
        fingerprints: eras.fingerprints.clone(),
        next_test_id: Some(next_id),
    }
}

/// Each live node's loss at the previous entry and now.
fn gradient(last: Option<&HistoryEntry>, loss: &LossReport) -> Vec<Gradient> {
    let before: HashMap<&str, f64> = last
        .map(|h| h.directives.iter().map(|(k, v)| (k.as_str(), *v)).collect())
        .unwrap_or_default();
    loss.nodes
        .iter()
        .filter(|n| n.status != Status::Retired)
        .map(|n| Gradient {
            id: n.id.clone(),
            before: before.get(n.id.as_str()).copied(),
            after: n.direct.map(round_loss),
        })
        .collect()
}

/// Evidence per (test, node) link of `signal`, given when each node's current era began.
fn evidence(signal: &[SignalEntry], era_start: &HashMap<String, i64>) -> Vec<LinkEvidence> {
    let mut links = Vec::new();
    for s in signal {
        for node in &s.spec_ids {
            let evidence = match &s.result {
                None => Evidence::Unverified,
                Some(r) if r.outcome == Outcome::Ignored => Evidence::Ignored,
                Some(r) => {
                    let at = epoch_millis(&r.timestamp).unwrap_or(i64::MIN);
                    let era = era_start.get(node.as_str()).copied().unwrap_or(i64::MIN);
                    // Only a pass is clean evidence: a flaky test is failing evidence.
                    if at < era {
                        Evidence::Unverified
                    } else if r.outcome == Outcome::Passed {
                        Evidence::Passed
                    } else {
                        Evidence::Failing
                    }
                }
            };
            links.push(LinkEvidence {
                test: s.id,
                reference: s.reference.clone(),
                node: node.clone(),
                evidence,
            });
        }
    }
    links
}

/// Whether two signals differ in what the file records of each test (its id, ref, links and
/// outcome; durations and timestamps alone do not count).
fn signal_differs(new: &[SignalEntry], old: &[SignalEntry]) -> bool {
    let key = |s: &SignalEntry| {
        (
            s.id,
            s.reference.clone(),
            s.spec_ids.clone(),
            s.result.as_ref().map(|r| r.outcome),
        )
    };
    new.len() != old.len() || new.iter().zip(old).any(|(a, b)| key(a) != key(b))
}

/// Whether a history entry records exactly this loss: the mission's and every measured node's,
/// as the file rounds them.
fn same_loss(entry: &HistoryEntry, loss: &LossReport) -> bool {
    let measured: Vec<(&str, f64)> = loss
        .nodes
        .iter()
        .filter_map(|n| n.direct.map(|d| (n.id.as_str(), round_loss(d))))
        .collect();
    entry.loss == round_loss(loss.mission)
        && entry.directives.len() == measured.len()
        && measured
            .iter()
            .all(|(id, l)| entry.directives.iter().any(|(k, v)| k == id && v == l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(round_loss(1.0 / 3.0), 0.3333);
        assert_eq!(round_duration(0.04249), 0.042);
        assert_eq!(round_duration(-1.0), 0.0);
    }
}
