//! The `exemplar-run` document (version 1): what `run --message-format json` prints, and the
//! `run` part of `exemplar-check`. Fields are only ever added within a version.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::design::{DesignDelta, Evidence, NodeKind, Status};
use crate::{Outcome, OutcomeCounts};

/// A run, for agents and scripts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDocument {
    /// Always `exemplar-run`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The run's id.
    pub run_id: String,
    /// Nothing failed.
    pub ok: bool,
    /// A test executed; a run that executed none recorded nothing.
    pub executed: bool,
    /// Counts by outcome.
    pub counts: OutcomeCounts,
    /// Each mission after the run.
    pub missions: Vec<MissionSummary>,
    /// Selected packages without a mission file.
    pub skipped: Vec<SkippedPackage>,
    /// Test binaries that are not exemplar harnesses, or died before listing their tests.
    pub other_binaries: Vec<OtherBinary>,
    /// Planned tests that never started because `--fail-fast` stopped the run.
    #[serde(default)]
    pub not_run: u64,
    /// `run --rerun-failed`: the run whose outstanding tests this one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun_of: Option<String>,
    /// `run --partition`: the shard this run is (`hash:1/3`); it did not rewrite the mission
    /// files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// Tests dealt to the other shards: not run here, recorded as such.
    #[serde(default)]
    pub other_shards: u64,
    /// `merge`: the shard runs this run is the union of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// Writes the disk refused (full, read-only): what of this run was not recorded. Empty
    /// when everything was; otherwise `ok` is false.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unrecorded: Vec<Unrecorded>,
}

/// One mission after a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissionSummary {
    /// Mission id.
    pub id: String,
    /// Mission name.
    pub name: String,
    /// Package name.
    pub package: String,
    /// The mission file, relative to the workspace root.
    pub path: PathBuf,
    /// Mission loss.
    pub loss: f64,
    /// Mission loss of the previous history entry.
    pub previous_loss: Option<f64>,
    /// `loss - previous_loss`.
    pub delta: Option<f64>,
    /// The design's change since the previous history entry.
    pub design_delta: DesignDelta,
    /// Something the file records changed.
    pub changed: bool,
    /// The file was rewritten.
    pub rewritten: bool,
    /// One row per design node, in design order.
    pub directives: Vec<DirectiveRow>,
    /// The package's untagged tests (default-harness tests without `#[design]`): counted,
    /// shown, never part of the loss.
    pub untagged: OutcomeCounts,
    /// Untagged tests this run left out (`--design` runs linked tests only).
    #[serde(default)]
    pub untagged_filtered: usize,
    /// The untagged tests that failed, crashed or timed out.
    pub untagged_failures: Vec<UntaggedFailure>,
}

/// An untagged test that failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UntaggedFailure {
    /// `src/lib.rs::tests::parses`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Test binary.
    pub binary: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Failure message, whole.
    pub message: Option<String>,
    /// Captured output, whole.
    pub output: Option<String>,
}

/// One design node after a run: one line of the loss table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectiveRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Idea or directive.
    pub kind: NodeKind,
    /// Lifecycle.
    pub status: Status,
    /// Depth in the design tree (0 for roots).
    pub depth: usize,
    /// Tests linked.
    pub linked: usize,
    /// Of those, ran in this run (not ignored, not filtered).
    pub ran: usize,
    /// Of those, filtered out of this run.
    pub filtered: usize,
    /// Of those, ignored.
    pub ignored: usize,
    /// Failing (this run, or the latest result of a filtered test).
    pub failing: usize,
    /// Never ran, or ran before the node last changed.
    pub unverified: usize,
    /// No evidence at all.
    pub uncovered: bool,
    /// Direct loss (`None`: measured through its children, or retired).
    pub loss: Option<f64>,
    /// Mean loss over the subtree.
    pub subtree_loss: Option<f64>,
    /// Loss at the previous history entry.
    pub previous_loss: Option<f64>,
    /// `detail.invariant`.
    pub invariant: Option<String>,
    /// `detail.constraint`.
    pub constraint: Option<String>,
    /// Tests that count against it.
    pub failing_tests: Vec<FailingTest>,
}

/// A test that counts against a directive (failing, or unverified), with what an agent needs
/// to act on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailingTest {
    /// `tests/kv.rs::wal_ordering`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// File relative to the package.
    pub file: String,
    /// Line of the function.
    pub line: u32,
    /// Latest outcome (`None`: never ran).
    pub outcome: Option<Outcome>,
    /// Why it counts against the directive.
    pub evidence: Evidence,
    /// Failure message of this run, whole.
    pub message: Option<String>,
    /// Output captured for this test in this run, whole (`None`: none was captured).
    #[serde(default)]
    pub output: Option<String>,
    /// `--partition` dealt it to another shard: it did not run here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_other_shard: bool,
}

/// A selected package without a mission file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedPackage {
    /// Package name.
    pub package: String,
    /// The mission file looked for.
    pub looked_for: PathBuf,
}

/// A test binary that is not an exemplar harness, or died before listing its tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherBinary {
    /// Package.
    pub package: String,
    /// Target, with its kind: `kv (lib)`.
    pub target: String,
    /// Passed or failed as a whole.
    pub ok: bool,
    /// What happened, in words.
    pub summary: String,
}

/// A write of a run that failed — a full or read-only disk, another I/O error — and what it
/// left unrecorded. The tests ran and their outcomes were shown all the same; what was recorded
/// before the failure stays as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unrecorded {
    /// Which file the write was for.
    pub place: WritePlace,
    /// The file or folder.
    pub path: PathBuf,
    /// The error, as the system gave it.
    pub error: String,
    /// What was not recorded, in words.
    pub lost: String,
}

/// The files a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WritePlace {
    /// The journal's log (its records and blobs): the truth.
    Journal,
    /// The journal's index, derived from the log (which still has everything).
    Index,
    /// A mission file's `signal:` and `history:`.
    Mission,
}
