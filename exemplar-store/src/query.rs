//! Questions over the journal's history, answered from the index.
//!
//! Run ids may be given whole or by a unique prefix, or as `latest`.

use exemplar_formats::journal::{
    DesignChanges, FlakyTest, FlippedTest, LossChange, NodeRef, RunOutcome,
};
use exemplar_formats::{Outcome as TestOutcome, OutcomeCounts};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use redb::{ReadableDatabase, ReadableTable};

use crate::errors::{Result, StoreError};
use crate::format;
use crate::index::{
    BLOBS, Index, LOSS, OUTCOMES, RUN_ORDER, RUNS, RunRow, TESTS, node_key, outcome_row,
};
use crate::records::{Hash, Outcome, Record};

/// A point in history, for `--at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// A run id (or unique prefix, or `latest`).
    Run(String),
    /// The last run started at or before this unix time.
    Time(i64),
    /// The last run of a commit (prefix of the hash).
    Commit(String),
}

/// One value of a directive's (or the mission's) loss history.
#[derive(Debug, Clone, PartialEq)]
pub struct LossPoint {
    /// Mission id.
    pub mission: String,
    /// Node id (empty for the mission's own loss).
    pub node: String,
    /// The run.
    pub run_id: String,
    /// When it started.
    pub started_at: i64,
    /// Loss.
    pub loss: f64,
}

/// A test's outcome in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct TestPoint {
    /// The run.
    pub run_id: String,
    /// When it started.
    pub started_at: i64,
    /// The outcome record.
    pub outcome: Outcome,
}

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

fn err(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> StoreError + '_ {
    move |e| StoreError::Index {
        path: path.to_owned(),
        detail: e.to_string(),
    }
}

macro_rules! tri {
    ($self:expr, $e:expr) => {
        $e.map_err(|e| err(&$self.path)(&e))?
    };
}

impl Index {
    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let tx = tri!(self, self.db.begin_read());
        let order = tri!(self, tx.open_table(RUN_ORDER));
        let runs = tri!(self, tx.open_table(RUNS));
        let mut out = Vec::new();
        for item in tri!(self, order.iter()) {
            let (_, v) = tri!(self, item);
            let id = v.value();
            if let Some(v) = tri!(self, runs.get(id))
                && let Ok(row) = minicbor::decode::<RunRow>(v.value())
            {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// A run by id, unique prefix, or `latest`.
    pub fn find_run(&self, spec: &str) -> Result<RunRow> {
        let runs = self.runs()?;
        if spec == "latest" || spec == "last" {
            return runs
                .into_iter()
                .last()
                .ok_or_else(|| StoreError::NotFound("the journal has no runs yet".into()));
        }
        if let Some(r) = runs.iter().find(|r| r.run_id == spec) {
            return Ok(r.clone());
        }
        let matches: Vec<&RunRow> = runs.iter().filter(|r| r.run_id.starts_with(spec)).collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(StoreError::NotFound(format!(
                "no run `{spec}` in the journal"
            ))),
            many => Err(StoreError::NotFound(format!(
                "`{spec}` matches {} runs; give more of the id",
                many.len()
            ))),
        }
    }

    /// The run that was current at a point in history.
    pub fn resolve_at(&self, at: &At) -> Result<RunRow> {
        match at {
            At::Run(spec) => self.find_run(spec),
            At::Time(t) => self
                .runs()?
                .into_iter()
                .rev()
                .find(|r| r.started_at <= *t)
                .ok_or_else(|| StoreError::NotFound("no run had started by then".into())),
            At::Commit(c) => self
                .runs()?
                .into_iter()
                .rev()
                .find(|r| {
                    r.commit
                        .as_deref()
                        .is_some_and(|rc| rc.starts_with(c.as_str()))
                })
                .ok_or_else(|| StoreError::NotFound(format!("no run of commit `{c}`"))),
        }
    }

    /// The outcomes of a run, by mission and ref.
    pub fn outcomes(&self, run_id: &str) -> Result<Vec<Outcome>> {
        let tx = tri!(self, self.db.begin_read());
        let t = tri!(self, tx.open_table(OUTCOMES));
        let mut out = Vec::new();
        for item in tri!(self, t.range((run_id, "")..)) {
            let (k, v) = tri!(self, item);
            if k.value().0 != run_id {
                break;
            }
            if let Some(o) = outcome_row(v.value()) {
                out.push(o);
            }
        }
        Ok(out)
    }

    /// Counts by outcome of a run: from its end record, or counted when it has none.
    pub fn counts(&self, run: &RunRow) -> Result<OutcomeCounts> {
        if run.complete()
            && let Some(c) = OutcomeCounts::from_codes(&run.counts)
        {
            return Ok(c);
        }
        let mut c = OutcomeCounts::default();
        for o in self.outcomes(&run.run_id)? {
            if let Some(outcome) = TestOutcome::from_code(o.outcome) {
                c.add(outcome);
            }
        }
        Ok(c)
    }

    /// The outcomes of the tests whose ref is `spec` or ends with `::spec`, oldest first.
    pub fn test_history(&self, spec: &str) -> Result<Vec<TestPoint>> {
        let tx = tri!(self, self.db.begin_read());
        let t = tri!(self, tx.open_table(TESTS));
        let mut keyed = Vec::new();
        for item in tri!(self, t.iter()) {
            let (k, v) = tri!(self, item);
            let (key, seq) = k.value();
            let reference = key.split_once('\u{1f}').map(|(_, r)| r).unwrap_or(key);
            let matches =
                reference == spec || reference.ends_with(&format!("::{spec}")) || key == spec;
            let (at, bytes) = v.value();
            if matches && let Some(o) = outcome_row(bytes) {
                keyed.push((
                    seq,
                    TestPoint {
                        run_id: o.run_id.clone(),
                        started_at: at,
                        outcome: o,
                    },
                ));
            }
        }
        keyed.sort_by_key(|(seq, _)| *seq);
        Ok(keyed.into_iter().map(|(_, p)| p).collect())
    }

    /// The loss history of a node (`""` for the mission itself) in every mission that has it.
    pub fn loss_history(&self, node: &str) -> Result<Vec<LossPoint>> {
        let tx = tri!(self, self.db.begin_read());
        let t = tri!(self, tx.open_table(LOSS));
        let mut keyed = Vec::new();
        for item in tri!(self, t.iter()) {
            let (k, v) = tri!(self, item);
            let (key, seq) = k.value();
            let Some((mission, n)) = key.split_once('\u{1f}') else {
                continue;
            };
            if n == node {
                let (at, run, loss) = v.value();
                keyed.push((
                    seq,
                    LossPoint {
                        mission: mission.to_owned(),
                        node: n.to_owned(),
                        run_id: run.to_owned(),
                        started_at: at,
                        loss,
                    },
                ));
            }
        }
        keyed.sort_by(|a, b| (a.0, &a.1.mission).cmp(&(b.0, &b.1.mission)));
        Ok(keyed.into_iter().map(|(_, p)| p).collect())
    }

    /// The loss of one node of one mission in one run.
    pub fn loss_at(&self, mission: &str, node: &str, run: &RunRow) -> Result<Option<f64>> {
        let tx = tri!(self, self.db.begin_read());
        let t = tri!(self, tx.open_table(LOSS));
        let key = node_key(mission, node);
        Ok(tri!(self, t.get((key.as_str(), run.start_seq))).map(|v| v.value().2))
    }

    /// What changed from run `a` to run `b`.
    pub fn diff(&self, a: &RunRow, b: &RunRow) -> Result<RunDiff> {
        let mut d = RunDiff::default();
        let oa: BTreeMap<(String, String), u8> = self
            .outcomes(&a.run_id)?
            .into_iter()
            .map(|o| ((o.mission, o.reference), o.outcome))
            .collect();
        let ob: BTreeMap<(String, String), u8> = self
            .outcomes(&b.run_id)?
            .into_iter()
            .map(|o| ((o.mission, o.reference), o.outcome))
            .collect();
        let keys: BTreeSet<&(String, String)> = oa.keys().chain(ob.keys()).collect();
        for k in keys {
            let (x, y) = (oa.get(k).copied(), ob.get(k).copied());
            if x != y {
                d.flipped.push(FlippedTest {
                    mission: k.0.clone(),
                    reference: k.1.clone(),
                    from: x.and_then(TestOutcome::from_code),
                    to: y.and_then(TestOutcome::from_code),
                });
            }
        }
        let losses = |r: &RunRow| -> BTreeMap<(String, String), f64> {
            let mut m = BTreeMap::new();
            for ml in &r.losses {
                m.insert((ml.mission.clone(), String::new()), ml.loss);
                for n in &ml.nodes {
                    m.insert((ml.mission.clone(), n.id.clone()), n.loss);
                }
            }
            m
        };
        let (la, lb) = (losses(a), losses(b));
        let keys: BTreeSet<&(String, String)> = la.keys().chain(lb.keys()).collect();
        for k in keys {
            let (x, y) = (la.get(k).copied(), lb.get(k).copied());
            if x != y {
                d.loss.push(LossChange {
                    mission: k.0.clone(),
                    node: k.1.clone(),
                    from: x,
                    to: y,
                });
            }
        }
        let fps = |r: &RunRow| -> BTreeMap<(String, String), String> {
            r.missions
                .iter()
                .flat_map(|m| {
                    m.nodes
                        .iter()
                        .map(|n| ((m.mission.clone(), n.id.clone()), n.fingerprint.clone()))
                })
                .collect()
        };
        let (fa, fb) = (fps(a), fps(b));
        let node = |k: &(String, String)| NodeRef {
            mission: k.0.clone(),
            id: k.1.clone(),
        };
        for (k, v) in &fb {
            match fa.get(k) {
                None => d.design.added.push(node(k)),
                Some(old) if old != v => d.design.changed.push(node(k)),
                Some(_) => {}
            }
        }
        for k in fa.keys() {
            if !fb.contains_key(k) {
                d.design.removed.push(node(k));
            }
        }
        Ok(d)
    }

    /// Tests whose outcome (ignoring `ignored`) changed between runs of the same clean commit.
    /// Runs of a dirty tree (`+dirty`) are left out: their code may differ.
    pub fn flaky(&self) -> Result<Vec<FlakyTest>> {
        let runs = self.runs()?;
        let mut by_commit: BTreeMap<String, Vec<&RunRow>> = BTreeMap::new();
        for r in &runs {
            if let Some(c) = &r.commit
                && !c.ends_with("+dirty")
            {
                by_commit.entry(c.clone()).or_default().push(r);
            }
        }
        let mut out = Vec::new();
        for (commit, rs) in by_commit {
            if rs.len() < 2 {
                continue;
            }
            let mut per_test: BTreeMap<(String, String), Vec<(String, u8)>> = BTreeMap::new();
            for r in rs {
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
            for ((mission, reference), outcomes) in per_test {
                let distinct: BTreeSet<u8> = outcomes.iter().map(|(_, o)| *o).collect();
                if distinct.len() > 1 {
                    out.push(FlakyTest {
                        mission,
                        reference,
                        commit: commit.clone(),
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
        }
        Ok(out)
    }

    /// The content of a blob, read from the WAL and checked against its address.
    pub fn blob(&self, journal: &Path, hash: &Hash) -> Result<Option<Vec<u8>>> {
        let loc = {
            let tx = tri!(self, self.db.begin_read());
            let t = tri!(self, tx.open_table(BLOBS));
            let v = tri!(self, t.get(&hash[..]));
            match v {
                Some(v) => v.value().to_vec(),
                None => return Ok(None),
            }
        };
        if loc.len() != 16 {
            return Ok(None);
        }
        let seg = u64::from_le_bytes(loc[0..8].try_into().unwrap_or_default());
        let offset = u64::from_le_bytes(loc[8..16].try_into().unwrap_or_default()) as usize;
        let path = journal.join("wal").join(crate::wal::segment_name(seg));
        let data = std::fs::read(&path).map_err(crate::errors::io("cannot read", &path))?;
        let header = format::Header::decode(&data).map_err(|_| StoreError::Corrupt {
            segment: path.clone(),
            offset: 0,
            detail: "the segment header does not validate".into(),
        })?;
        let frame = data
            .get(offset..)
            .and_then(|b| format::decode_frame(b, &header.file_id).ok())
            .ok_or_else(|| StoreError::Corrupt {
                segment: path.clone(),
                offset: offset as u64,
                detail: "the blob record does not validate".into(),
            })?;
        match Record::decode(frame.kind, frame.seq, frame.payload)? {
            Some(Record::Blob(b)) if *blake3::hash(&b.bytes).as_bytes() == *hash => {
                Ok(Some(b.bytes))
            }
            _ => Err(StoreError::Corrupt {
                segment: path,
                offset: offset as u64,
                detail: "the blob's content does not match its address".into(),
            }),
        }
    }

    /// A blob as text (failure messages, output).
    pub fn blob_text(&self, journal: &Path, hash: &Hash) -> Result<Option<String>> {
        Ok(self
            .blob(journal, hash)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }
}
