//! What to work on: the documents of `cargo exemplar next` (`exemplar-next`) and `explain ID`
//! (`exemplar-explain`), version 1. Both describe directives the same way, as a
//! [`DirectiveWork`]: the directive as the design says it, its loss in the latest complete run,
//! its [`Convergence`] over the last runs, the tests that fail it with their messages, and the
//! source files those tests live in.

use serde::{Deserialize, Serialize};

use crate::Outcome;

/// Where a directive's loss is heading over the last runs that measured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Convergence {
    /// At loss 0 (within the tolerance) in every run of the window.
    Converged,
    /// Lower at the end of the window than at its start (or, back where it started, last moved
    /// down), without oscillating.
    Improving,
    /// Above 0 and unchanged (within the tolerance) over the window; also a directive
    /// measured once, above 0.
    Plateau,
    /// The loss changed direction at least twice within the window.
    Oscillating,
    /// Higher at the end of the window than at its start (or, back where it started, last
    /// moved up), without oscillating.
    Regressing,
}

impl Convergence {
    /// The word used in documents and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Convergence::Converged => "converged",
            Convergence::Improving => "improving",
            Convergence::Plateau => "plateau",
            Convergence::Oscillating => "oscillating",
            Convergence::Regressing => "regressing",
        }
    }
}

/// A test that fails a directive in the latest complete run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailingTest {
    /// `tests/kv.rs::recovery`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Its source file, relative to the workspace root.
    pub file: String,
    /// The line of its function (0 when unknown).
    pub line: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// Its failure message, whole.
    pub message: Option<String>,
}

/// A directive, with what an agent needs to work on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectiveWork {
    /// Its mission's id.
    pub mission: String,
    /// `S3`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `proposed` or `active`.
    pub status: String,
    /// What must hold.
    pub invariant: Option<String>,
    /// How it must hold.
    pub constraint: Option<String>,
    /// Its loss in the latest complete run.
    pub loss: f64,
    /// Where its loss is heading.
    pub convergence: Convergence,
    /// Its loss in each run of the window, oldest first.
    pub losses: Vec<f64>,
    /// The run of the window in which its loss last rose (none: it never rose in the window).
    pub rose_in: Option<String>,
    /// The tests that fail it in the latest complete run.
    pub failing_tests: Vec<FailingTest>,
    /// The source files of the tests that link it (failing or not), relative to the
    /// workspace root.
    pub source_files: Vec<String>,
}

/// `cargo exemplar next` (`exemplar-next`) and `cargo exemplar explain ID`
/// (`exemplar-explain`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextDocument {
    /// `exemplar-next` or `exemplar-explain`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The latest complete run, which the losses are of.
    pub run_id: String,
    /// How many runs the convergence looks back on.
    pub window: usize,
    /// Loss changes at most this large count as no change.
    pub tolerance: f64,
    /// `next`: the directive to work on (none: every measured directive is at loss 0).
    /// `explain`: the directive asked about.
    pub directive: Option<DirectiveWork>,
    /// `next`: every measured directive, the one to work on first, in the order they would be
    /// taken. `explain`: empty.
    pub queue: Vec<QueuedDirective>,
}

/// A directive in `next`'s queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedDirective {
    /// Its mission's id.
    pub mission: String,
    /// `S3`.
    pub id: String,
    /// Its loss in the latest complete run.
    pub loss: f64,
    /// Where its loss is heading.
    pub convergence: Convergence,
}
