//! The `exemplar-report` document (version 1): the journal's history for agents, as
//! `report --json` writes it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::design::Status;
use crate::journal::{FlippedTest, LossChange};
use crate::{Outcome, OutcomeCounts};

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDocument {
    /// Always `exemplar-report`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// Every run, oldest first.
    pub runs: Vec<ReportRun>,
    /// Each mission's design with its current loss.
    pub missions: Vec<ReportMission>,
    /// The latest run's tests.
    pub latest: Option<LatestRun>,
    /// Tests whose outcome changed between runs of one clean commit.
    pub flaky: Vec<ReportFlaky>,
    /// What changed between the last two runs.
    pub diff: Option<ReportDiff>,
}

/// A run and its losses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRun {
    /// The run.
    pub run_id: String,
    /// When it started.
    pub started_at: String,
    /// `1a2b3c4` or `1a2b3c4+dirty`.
    pub commit: Option<String>,
    /// It has an end record.
    pub complete: bool,
    /// Counts by outcome.
    pub counts: OutcomeCounts,
    /// Mission id → its loss in this run.
    pub losses: BTreeMap<String, ReportLoss>,
}

/// A mission's loss in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportLoss {
    /// Mission loss.
    pub loss: f64,
    /// Node id → direct loss.
    pub directives: BTreeMap<String, f64>,
}

/// A mission's design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportMission {
    /// Mission id.
    pub id: String,
    /// Mission name.
    pub name: String,
    /// Loss in the latest run.
    pub loss: Option<f64>,
    /// Its nodes, in design order.
    pub directives: Vec<ReportNode>,
}

/// A design node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportNode {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Lifecycle.
    pub status: Status,
    /// Depth in the design tree.
    pub depth: usize,
    /// `detail.invariant`.
    pub invariant: Option<String>,
    /// Loss in the latest run.
    pub loss: Option<f64>,
    /// Indexes (into `runs`) where a new era of the node began.
    pub eras: Vec<usize>,
}

/// The latest run's tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestRun {
    /// The run.
    pub run_id: String,
    /// Its tests.
    pub tests: Vec<ReportTest>,
}

/// A test of the latest run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportTest {
    /// Mission id.
    pub mission: String,
    /// Test ref.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Test binary.
    pub binary: String,
    /// Design ids.
    pub ids: Vec<String>,
    /// Outcome (`None`: a code this version does not know).
    pub outcome: Option<Outcome>,
    /// Seconds.
    pub duration: f64,
    /// Failure message.
    pub message: Option<String>,
}

/// A flaky test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFlaky {
    /// Mission id.
    pub mission: String,
    /// Test ref.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The commit its runs share.
    pub commit: String,
    /// Its outcomes, oldest first.
    pub outcomes: Vec<Option<Outcome>>,
}

/// What changed between the last two runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDiff {
    /// The earlier run.
    pub from: String,
    /// The later run.
    pub to: String,
    /// Tests whose outcome differs.
    pub flipped: Vec<FlippedTest>,
    /// Losses that differ.
    pub loss: Vec<LossChange>,
    /// Design nodes added, changed and removed, as `mission/id`.
    pub design: ReportDesignChanges,
}

/// Design nodes that changed, as `mission/id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportDesignChanges {
    /// Added.
    pub added: Vec<String>,
    /// Fingerprint changed.
    pub changed: Vec<String>,
    /// Gone.
    pub removed: Vec<String>,
}
