//! The documents of the commands that read the journal (`status`, `history`, `show`, `diff`,
//! `flaky`, `journal verify|repair|rebuild-index`), each version 1. Times are RFC 3339 UTC.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{Outcome, OutcomeCounts};

/// A run as the journal records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run's id.
    pub run_id: String,
    /// When it started.
    pub started_at: String,
    /// When it ended (`None`: interrupted).
    pub ended_at: Option<String>,
    /// It has an end record.
    pub complete: bool,
    /// `1a2b3c4` or `1a2b3c4+dirty`.
    pub commit: Option<String>,
    /// `run --note`.
    pub note: Option<String>,
    /// Counts by outcome.
    pub counts: OutcomeCounts,
    /// Loss per mission (empty when interrupted).
    pub missions: Vec<MissionLoss>,
}

/// The loss of a mission at the end of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissionLoss {
    /// Mission id.
    pub id: String,
    /// Mission loss.
    pub loss: f64,
    /// Direct loss per measured node.
    pub directives: Vec<NodeLoss>,
}

/// The loss of one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeLoss {
    /// Node id.
    pub id: String,
    /// Direct loss.
    pub loss: f64,
}

/// `status`: the latest run, or the one `--at` names (the summary's fields at the top level).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusDocument {
    /// Always `exemplar-status`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The run.
    #[serde(flatten)]
    pub run: RunSummary,
    /// The design each mission had when the run started, by mission id (absent for runs
    /// recorded before runs kept it).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub designs: std::collections::BTreeMap<String, crate::design::DesignSnapshot>,
}

/// `history` without a target: the runs, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsDocument {
    /// Always `exemplar-runs`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The runs.
    pub runs: Vec<RunSummary>,
}

/// `history S1`: a directive's loss over the runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectiveHistory {
    /// Always `exemplar-directive-history`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The directive id.
    pub directive: String,
    /// Its loss per run, oldest first.
    pub loss: Vec<LossPoint>,
}

/// A directive's loss in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossPoint {
    /// The run.
    pub run_id: String,
    /// When it started.
    pub started_at: String,
    /// Mission id.
    pub mission: String,
    /// Loss.
    pub loss: f64,
}

/// `history TEST`: a test's outcomes over the runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestHistory {
    /// Always `exemplar-test-history`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The test as asked for.
    pub test: String,
    /// Its outcomes, oldest first.
    pub outcomes: Vec<TestPoint>,
}

/// A test's outcome in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestPoint {
    /// The run.
    pub run_id: String,
    /// When it started.
    pub started_at: String,
    /// Mission id.
    pub mission: String,
    /// Test ref.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Outcome (`None`: a code this version does not know).
    pub outcome: Option<Outcome>,
    /// Seconds.
    pub duration: f64,
}

/// `show RUN`: a run and every outcome it recorded, messages and output whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowDocument {
    /// Always `exemplar-show`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The run.
    #[serde(flatten)]
    pub run: RunSummary,
    /// Its tests, in the order they were recorded.
    pub tests: Vec<ShownTest>,
}

/// One recorded outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownTest {
    /// Mission id.
    pub mission: String,
    /// Test ref.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Design ids.
    pub ids: Vec<String>,
    /// Outcome (`None`: a code this version does not know).
    pub outcome: Option<Outcome>,
    /// Seconds.
    pub duration: f64,
    /// Failure message.
    pub message: Option<String>,
    /// Captured output.
    pub output: Option<String>,
    /// Test binary.
    pub binary: String,
    /// Line of the function.
    pub line: u32,
}

/// `diff A B`: what changed between two runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffDocument {
    /// Always `exemplar-diff`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The earlier run.
    pub from: String,
    /// The later run.
    pub to: String,
    /// Tests whose outcome differs.
    pub flipped: Vec<FlippedTest>,
    /// Losses that differ (node `""` is the mission's loss).
    pub loss: Vec<LossChange>,
    /// Design nodes added, changed and removed.
    pub design: DesignChanges,
}

/// A test whose outcome differs between two runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlippedTest {
    /// Mission id.
    pub mission: String,
    /// Test ref.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Outcome in the earlier run (`None`: absent from it).
    pub from: Option<Outcome>,
    /// Outcome in the later run (`None`: absent from it).
    pub to: Option<Outcome>,
}

/// A loss that differs between two runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossChange {
    /// Mission id.
    pub mission: String,
    /// Node id; empty for the mission's own loss.
    pub node: String,
    /// Loss in the earlier run.
    pub from: Option<f64>,
    /// Loss in the later run.
    pub to: Option<f64>,
}

/// Design nodes that changed between two runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DesignChanges {
    /// Added.
    pub added: Vec<NodeRef>,
    /// Fingerprint changed.
    pub changed: Vec<NodeRef>,
    /// Gone.
    pub removed: Vec<NodeRef>,
}

/// A design node of a mission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRef {
    /// Mission id.
    pub mission: String,
    /// Node id.
    pub id: String,
}

/// `flaky`: tests whose outcome changed between runs of one clean commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlakyDocument {
    /// Always `exemplar-flaky`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The flaky tests.
    pub flaky: Vec<FlakyTest>,
}

/// A flaky test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlakyTest {
    /// Mission id.
    pub mission: String,
    /// Test ref.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The commit its runs share.
    pub commit: String,
    /// Its outcomes, oldest first.
    pub outcomes: Vec<RunOutcome>,
}

/// A test's outcome in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// The run.
    pub run_id: String,
    /// The outcome (`None`: a code this version does not know).
    pub outcome: Option<Outcome>,
}

/// `journal verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyDocument {
    /// Always `exemplar-journal-verify`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The journal folder.
    pub journal: PathBuf,
    /// Segment files.
    pub segments: u64,
    /// Bytes in them.
    pub bytes: u64,
    /// Records.
    pub records: u64,
    /// Records by kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Blobs.
    pub blobs: u64,
    /// The last sequence number.
    pub last_seq: u64,
    /// A torn tail the next writer truncates.
    pub torn_tail: Option<SegmentOffset>,
}

/// A place in a segment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentOffset {
    /// The segment file.
    pub segment: PathBuf,
    /// Byte offset.
    pub offset: u64,
}

/// `journal repair`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairDocument {
    /// Always `exemplar-journal-repair`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// Damaged segments moved aside.
    pub moved: Vec<MovedSegment>,
    /// Records kept from damaged segments.
    pub kept: u64,
    /// Sequence ranges lost (first, last), recorded as gaps.
    pub lost: Vec<SeqRange>,
}

/// A damaged segment moved aside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovedSegment {
    /// Where it was.
    pub from: PathBuf,
    /// Where it is now.
    pub to: PathBuf,
}

/// Sequence numbers `first..=last`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeqRange {
    /// First.
    pub first: u64,
    /// Last.
    pub last: u64,
}

/// `journal rebuild-index`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RebuildDocument {
    /// Always `exemplar-journal-rebuild`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// Records applied.
    pub records: u64,
    /// Runs in the index.
    pub runs: u64,
}

/// `journal prune`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PruneDocument {
    /// Always `exemplar-journal-prune`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The journal.
    pub journal: PathBuf,
    /// `--dry-run`: nothing was changed; `pruned` names what would go.
    pub dry_run: bool,
    /// The runs removed (or, dry, that would be), oldest first.
    pub pruned: Vec<String>,
    /// How many runs stay.
    pub kept: u64,
    /// Bytes of the log before.
    pub bytes_before: u64,
    /// Bytes of the log after.
    pub bytes_after: u64,
}

/// `journal export` and `journal import`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleDocument {
    /// `exemplar-journal-export` or `exemplar-journal-import`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The bundle.
    pub file: PathBuf,
    /// Export: the runs written. Import: the runs appended to the journal.
    pub runs: Vec<String>,
    /// Import: the runs the journal had already, left as they were (empty for an export).
    pub present: Vec<String>,
    /// Import: the runs the journal had pruned, not brought back (empty for an export).
    #[serde(default)]
    pub pruned: Vec<String>,
    /// Import: the runs the journal holds without their end while the bundle holds them
    /// whole, not appended again (empty for an export).
    #[serde(default)]
    pub incomplete: Vec<String>,
    /// The bundle's size in bytes.
    pub bytes: u64,
}
