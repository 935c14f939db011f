//! Comparing runs: what changed between two of them, and which tests flip between runs of
//! the same commit.

use exemplar_formats::Outcome as TestOutcome;
use exemplar_formats::journal::{
    DesignChanges, FlakyTest, FlippedTest, LossChange, NodeRef, RunOutcome,
};
use std::collections::{BTreeMap, BTreeSet};

use crate::errors::Result;
use crate::index::{Index, RunRow};

/// What changed between two runs: the diff document's parts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunDiff {
    /// Tests whose outcome differs.
    pub flipped: Vec<FlippedTest>,
    /// Losses that differ; node `""` is the mission loss.
    pub loss: Vec<LossChange>,
    /// Design nodes added, changed and removed.
    pub design: DesignChanges,
}

impl RunDiff {
    /// Nothing differs.
    pub fn is_empty(&self) -> bool {
        self.flipped.is_empty()
            && self.loss.is_empty()
            && self.design.added.is_empty()
            && self.design.changed.is_empty()
            && self.design.removed.is_empty()
    }
}

/// A (mission, test ref) or (mission, node id) pair.
type Key = (String, String);

/// The outcomes of each test in a group of runs: (run id, outcome code), in run order.
type PerTest = BTreeMap<Key, Vec<(String, u8)>>;

impl Index {
    /// What changed from run `a` to run `b`.
    pub fn diff(&self, a: &RunRow, b: &RunRow) -> Result<RunDiff> {
        Ok(RunDiff {
            flipped: self.flipped_tests(a, b)?,
            loss: loss_changes(a, b),
            design: design_changes(a, b),
        })
    }

    /// The outcome code of each test of a run, by (mission, ref).
    fn outcome_codes(&self, run: &RunRow) -> Result<BTreeMap<Key, u8>> {
        Ok(self
            .outcomes(&run.run_id)?
            .into_iter()
            .map(|o| ((o.mission, o.reference), o.outcome))
            .collect())
    }

    /// Tests whose outcome differs from run `a` to run `b` (present in one only included).
    fn flipped_tests(&self, a: &RunRow, b: &RunRow) -> Result<Vec<FlippedTest>> {
        let (oa, ob) = (self.outcome_codes(a)?, self.outcome_codes(b)?);
        let keys: BTreeSet<&Key> = oa.keys().chain(ob.keys()).collect();
        let mut out = Vec::new();
        for k in keys {
            let (x, y) = (oa.get(k).copied(), ob.get(k).copied());
            if x != y {
                out.push(FlippedTest {
                    mission: k.0.clone(),
                    reference: k.1.clone(),
                    from: x.and_then(TestOutcome::from_code),
                    to: y.and_then(TestOutcome::from_code),
                });
            }
        }
        Ok(out)
    }

    /// Tests whose outcome (ignoring `ignored`) changed between runs of the same clean commit.
    /// Runs of a dirty tree (`+dirty`) are left out: their code may differ.
    pub fn flaky(&self) -> Result<Vec<FlakyTest>> {
        let runs = self.runs()?;
        let mut out = Vec::new();
        for (commit, rs) in runs_by_clean_commit(&runs) {
            if rs.len() < 2 {
                continue;
            }
            let per_test = self.outcomes_per_test(&rs)?;
            out.extend(flaky_tests(&commit, per_test));
        }
        Ok(out)
    }

    /// The outcomes, other than `ignored`, of each test in `runs`.
    fn outcomes_per_test(&self, runs: &[&RunRow]) -> Result<PerTest> {
        let mut per_test = PerTest::new();
        for r in runs {
            for o in self.outcomes(&r.run_id)? {
                if o.outcome == TestOutcome::Ignored.code() {
                    continue;
                }
                per_test
                    .entry((o.mission.clone(), o.reference.clone()))
                    .or_default()
                    .push((r.run_id.clone(), o.outcome));
            }
        }
        Ok(per_test)
    }
}

/// Every loss of a run by (mission, node); node `""` is the mission's own loss.
fn losses(r: &RunRow) -> BTreeMap<Key, f64> {
    let mut m = BTreeMap::new();
    for ml in &r.losses {
        m.insert((ml.mission.clone(), String::new()), ml.loss);
        for n in &ml.nodes {
            m.insert((ml.mission.clone(), n.id.clone()), n.loss);
        }
    }
    m
}

/// Losses that differ from run `a` to run `b` (present in one only included).
fn loss_changes(a: &RunRow, b: &RunRow) -> Vec<LossChange> {
    let (la, lb) = (losses(a), losses(b));
    let keys: BTreeSet<&Key> = la.keys().chain(lb.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let (x, y) = (la.get(k).copied(), lb.get(k).copied());
        if x != y {
            out.push(LossChange {
                mission: k.0.clone(),
                node: k.1.clone(),
                from: x,
                to: y,
            });
        }
    }
    out
}

/// The design fingerprint of each node of a run at its start, by (mission, node).
fn fingerprints(r: &RunRow) -> BTreeMap<Key, String> {
    r.missions
        .iter()
        .flat_map(|m| {
            m.nodes
                .iter()
                .map(|n| ((m.mission.clone(), n.id.clone()), n.fingerprint.clone()))
        })
        .collect()
}

/// Design nodes added, changed (another fingerprint) and removed from run `a` to run `b`.
fn design_changes(a: &RunRow, b: &RunRow) -> DesignChanges {
    let mut d = DesignChanges::default();
    let (fa, fb) = (fingerprints(a), fingerprints(b));
    let node = |k: &Key| NodeRef {
        mission: k.0.clone(),
        id: k.1.clone(),
    };
    for (k, v) in &fb {
        match fa.get(k) {
            None => d.added.push(node(k)),
            Some(old) if old != v => d.changed.push(node(k)),
            Some(_) => {}
        }
    }
    for k in fa.keys() {
        if !fb.contains_key(k) {
            d.removed.push(node(k));
        }
    }
    d
}

/// The runs of each clean commit (not ending in `+dirty`), in run order.
fn runs_by_clean_commit(runs: &[RunRow]) -> BTreeMap<String, Vec<&RunRow>> {
    let mut by_commit: BTreeMap<String, Vec<&RunRow>> = BTreeMap::new();
    for r in runs {
        if let Some(c) = &r.commit
            && !c.ends_with("+dirty")
        {
            by_commit.entry(c.clone()).or_default().push(r);
        }
    }
    by_commit
}

/// The tests of `per_test` with more than one distinct outcome in runs of `commit`.
fn flaky_tests(commit: &str, per_test: PerTest) -> Vec<FlakyTest> {
    let mut out = Vec::new();
    for ((mission, reference), outcomes) in per_test {
        let distinct: BTreeSet<u8> = outcomes.iter().map(|(_, o)| *o).collect();
        if distinct.len() > 1 {
            out.push(FlakyTest {
                mission,
                reference,
                commit: commit.to_owned(),
                outcomes: outcomes
                    .into_iter()
                    .map(|(run_id, code)| RunOutcome {
                        run_id,
                        outcome: TestOutcome::from_code(code),
                    })
                    .collect(),
            });
        }
    }
    out
}
