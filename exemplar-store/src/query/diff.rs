//! Comparing runs: what changed between two of them, and which tests flip between runs of
//! the same commit.

use exemplar_formats::Outcome as TestOutcome;
use exemplar_formats::journal::{
    DesignChanges, FlakyTest, FlippedTest, LossChange, NodeRef, RunOutcome,
};
use std::collections::{BTreeMap, BTreeSet};

use redb::{ReadableDatabase, ReadableTable};

use super::err;

use crate::errors::Result;
use crate::index::commits::{ABSENT, CommitCodes};
use crate::index::{COMMITS, Index, RunRow};

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

/// A test whose outcome differed between runs of a commit: (run id, outcome code) of each.
struct Differing {
    commit: String,
    test: u64,
    seen: Vec<(String, u8)>,
}

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
    /// Runs of a dirty tree (`+dirty`) are left out: their code may differ. Read from the
    /// flaky scan the index keeps per commit; only the flaky tests' definitions are looked up.
    pub fn flaky(&self) -> Result<Vec<FlakyTest>> {
        let run_ids = self.run_ids()?;
        let tx = tri!(self, self.db.begin_read());
        let t = tri!(self, tx.open_table(COMMITS));
        let mut found: Vec<Differing> = Vec::new();
        for item in tri!(self, t.iter()) {
            let (k, v) = tri!(self, item);
            let ignored = TestOutcome::Ignored.code();
            let (runs, differing) = CommitCodes::differing(v.value(), ignored);
            for (id, per_run) in differing {
                let seen: Vec<(String, u8)> = runs
                    .iter()
                    .zip(per_run)
                    .filter(|(_, c)| **c != ABSENT && **c != ignored)
                    .filter_map(|(seq, c)| Some((run_ids.get(seq)?.clone(), *c)))
                    .collect();
                found.push(Differing {
                    commit: k.value().to_owned(),
                    test: id,
                    seen,
                });
            }
        }
        let defs = self.defs(found.iter().map(|f| f.test))?;
        let mut by_commit: BTreeMap<String, PerTest> = BTreeMap::new();
        for Differing { commit, test, seen } in found {
            if let Some(def) = defs.get(&test) {
                let key = (def.mission.clone(), def.reference.clone());
                by_commit
                    .entry(commit)
                    .or_default()
                    .entry(key)
                    .or_default()
                    .extend(seen);
            }
        }
        Ok(by_commit
            .into_iter()
            .flat_map(|(commit, per_test)| flaky_tests(&commit, per_test))
            .collect())
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
