//! Gathering what the reports show: runs and losses from the journal, the design (names,
//! statuses, tree) from the current mission files.

use std::collections::HashMap;
use std::path::Path;

use exemplar_formats::journal::FlakyTest;
use exemplar_formats::{Outcome, OutcomeCounts};
use exemplar_mission::{Mission, Status};
use exemplar_store::{Index, RunDiff, RunRow};

use crate::errors::Error;
use exemplar_runner::discover::MissionPackage;

/// One test of the latest run.
#[derive(Debug, Clone)]
pub struct TestView {
    /// Mission id.
    pub mission: String,
    /// Test ref.
    pub reference: String,
    /// Test binary.
    pub binary: String,
    /// Design ids.
    pub ids: Vec<String>,
    /// How it ended (`None`: a code this version does not know).
    pub outcome: Option<Outcome>,
    /// Seconds.
    pub duration: f64,
    /// Failure message.
    pub message: Option<String>,
    /// Captured output of a failing test, whole (only failures' output is shown).
    pub output: Option<String>,
}

impl TestView {
    /// Failed, crashed or timed out.
    pub fn is_failing(&self) -> bool {
        self.outcome.is_some_and(Outcome::is_failing)
    }

    /// The outcome's word (`unknown` for a code this version does not know).
    pub fn word(&self) -> &'static str {
        self.outcome.map_or("unknown", Outcome::as_str)
    }
}

/// One design node with its history.
#[derive(Debug, Clone)]
pub struct NodeView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Lifecycle.
    pub status: Status,
    /// Depth in the tree.
    pub depth: usize,
    /// `detail.invariant`.
    pub invariant: Option<String>,
    /// Loss in the latest complete run (`None`: not measured then).
    pub loss: Option<f64>,
    /// (run index, loss) over the complete runs.
    pub curve: Vec<(usize, f64)>,
    /// Run indexes where the node's fingerprint changed: a new era of its curve.
    pub eras: Vec<usize>,
}

/// One mission with its history.
#[derive(Debug, Clone)]
pub struct MissionView {
    /// Mission id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Loss in the latest complete run.
    pub loss: Option<f64>,
    /// (run index, loss).
    pub curve: Vec<(usize, f64)>,
    /// Nodes in design order.
    pub nodes: Vec<NodeView>,
}

/// Everything the reports show.
#[derive(Debug, Clone)]
pub struct ReportData {
    /// Every run, oldest first.
    pub runs: Vec<RunRow>,
    /// Counts by outcome of each run.
    pub counts: Vec<OutcomeCounts>,
    /// Missions.
    pub missions: Vec<MissionView>,
    /// The latest run's tests.
    pub tests: Vec<TestView>,
    /// Flaky tests.
    pub flaky: Vec<FlakyTest>,
    /// The last two runs and what changed between them.
    pub diff: Option<(String, String, RunDiff)>,
}

impl ReportData {
    /// The latest run.
    pub fn latest(&self) -> Option<&RunRow> {
        self.runs.last()
    }
}

/// Read the journal and the missions.
pub fn gather(
    journal: &Path,
    ix: &Index,
    packages: &[MissionPackage],
) -> Result<ReportData, Error> {
    let runs = ix.runs()?;
    let counts = runs
        .iter()
        .map(|r| ix.counts(r))
        .collect::<Result<Vec<_>, _>>()?;
    let missions = packages
        .iter()
        .map(|p| mission_view(&p.mission, &runs))
        .collect();
    let tests = match runs.last() {
        Some(r) => latest_tests(journal, ix, r)?,
        None => Vec::new(),
    };
    let diff = match runs.len() {
        n if n >= 2 => {
            let (a, b) = (&runs[n - 2], &runs[n - 1]);
            Some((a.run_id.clone(), b.run_id.clone(), ix.diff(a, b)?))
        }
        _ => None,
    };
    Ok(ReportData {
        flaky: ix.flaky()?,
        runs,
        counts,
        missions,
        tests,
        diff,
    })
}

/// A mission over the runs: its loss curve, each node's curve and eras (the runs where the
/// node's fingerprint changed), and the latest loss.
fn mission_view(m: &Mission, runs: &[RunRow]) -> MissionView {
    let mut curve = Vec::new();
    let mut node_curves: HashMap<&str, Vec<(usize, f64)>> = HashMap::new();
    let mut eras: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut last_fp: HashMap<&str, &str> = HashMap::new();
    // Node by id, once (a scan per node per run is quadratic in big designs).
    let by_id: HashMap<&str, &exemplar_mission::Node> =
        m.design.iter().map(|n| (n.id.as_str(), n)).collect();
    for (i, r) in runs.iter().enumerate() {
        if let Some(stamp) = r.missions.iter().find(|s| s.mission == m.id) {
            for n in &stamp.nodes {
                if let Some(node) = by_id.get(n.id.as_str()) {
                    match last_fp.insert(n.id.as_str(), n.fingerprint.as_str()) {
                        Some(prev) if prev != n.fingerprint => {
                            eras.entry(node.id.as_str()).or_default().push(i)
                        }
                        _ => {}
                    }
                }
            }
        }
        // A shard's loss is of part of the suite: no point of a curve (its merge is one).
        let whole = r.partition().is_none();
        if let Some(l) = r.losses.iter().find(|l| whole && l.mission == m.id) {
            curve.push((i, l.loss));
            for n in &l.nodes {
                if let Some(node) = by_id.get(n.id.as_str()) {
                    node_curves
                        .entry(node.id.as_str())
                        .or_default()
                        .push((i, n.loss));
                }
            }
        }
    }
    let latest = runs
        .iter()
        .rev()
        .filter(|r| r.partition().is_none())
        .find_map(|r| r.losses.iter().find(|l| l.mission == m.id));
    let latest_loss: HashMap<&str, f64> = latest
        .map(|l| l.nodes.iter().map(|x| (x.id.as_str(), x.loss)).collect())
        .unwrap_or_default();
    let nodes = m
        .design
        .iter()
        .map(|n| NodeView {
            id: n.id.clone(),
            name: n.name.clone(),
            status: n.status,
            depth: m.depth(n),
            invariant: n.detail.text("invariant").map(str::to_owned),
            loss: latest_loss.get(n.id.as_str()).copied(),
            curve: node_curves.remove(n.id.as_str()).unwrap_or_default(),
            eras: eras.remove(n.id.as_str()).unwrap_or_default(),
        })
        .collect();
    MissionView {
        id: m.id.clone(),
        name: m.name.clone(),
        loss: latest.map(|l| l.loss),
        curve,
        nodes,
    }
}

/// The tests of run `r`, with their messages, and the output of the failing ones (every
/// blob read costs a segment read: passing tests' output is not wanted by any report).
fn latest_tests(journal: &Path, ix: &Index, r: &RunRow) -> Result<Vec<TestView>, Error> {
    let mut tests = Vec::new();
    for o in ix.outcomes(&r.run_id)? {
        let message = match &o.message {
            Some(h) => ix.blob_text(journal, h)?,
            None => None,
        };
        let outcome = Outcome::from_code(o.outcome);
        let output = match &o.output {
            Some(h) if outcome.is_some_and(Outcome::is_failing) => ix.blob_text(journal, h)?,
            _ => None,
        };
        tests.push(TestView {
            mission: o.mission.clone(),
            reference: o.reference.clone(),
            binary: o.binary.clone(),
            ids: o.ids.clone(),
            outcome,
            duration: o.duration,
            message,
            output,
        });
    }
    Ok(tests)
}
