//! One record per test: made by the runner when a test ends (or is filtered out), appended to
//! the journal, folded into the mission's signal, and shown by every report.

use serde::{Deserialize, Serialize};

use crate::Outcome;
use crate::events::Plan;

/// A test, as one run saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestRecord {
    /// Package name.
    pub package: String,
    /// Mission id.
    pub mission: String,
    /// Test target (binary) name.
    pub binary: String,
    /// libtest name (`module::function`).
    pub name: String,
    /// `tests/kv.rs::wal_ordering`: the source file relative to the package, and the name.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Source file, relative to the package.
    pub file: String,
    /// Line of the function (0 when unknown).
    pub line: u32,
    /// Design ids (empty: untagged).
    pub ids: Vec<String>,
    /// What the run meant to do with it.
    pub plan: Plan,
    /// How it ended; `None` when it did not run (filtered out).
    pub outcome: Option<Outcome>,
    /// Seconds.
    pub duration: f64,
    /// Failure message, whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Captured output, whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}
