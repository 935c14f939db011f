//! The `exemplar-check` document (version 1): the gate's verdict per mission, with the run it
//! judged.

use serde::{Deserialize, Serialize};

use crate::Outcome;
use crate::run::{DirectiveRow, RunDocument};

/// What `check --message-format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckDocument {
    /// Always `exemplar-check`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// Every mission passed the gate.
    pub ok: bool,
    /// What the run was compared with, in words.
    pub baseline: String,
    /// The verdict per mission.
    pub missions: Vec<MissionVerdict>,
    /// The run.
    pub run: RunDocument,
}

/// The verdict for one mission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissionVerdict {
    /// Mission id.
    pub id: String,
    /// Baseline loss.
    pub loss_before: Option<f64>,
    /// Loss now.
    pub loss_after: f64,
    /// The ceiling, if any.
    pub max_loss: Option<f64>,
    /// Above the ceiling.
    pub over_ceiling: bool,
    /// Active directives whose loss rose.
    pub violations: Vec<Violation>,
    /// Tests that passed and fail now.
    pub regressions: Vec<Regression>,
    /// Tests compiled but run by no harness (outcome `stranded`), tagged or not: each fails
    /// the gate, as a test that exists and never runs must not pass as clean.
    #[serde(default)]
    pub stranded: Vec<Regression>,
    /// Proposed directives with loss: shown, not gating.
    pub proposed: Vec<DirectiveRow>,
}

impl MissionVerdict {
    /// The gate holds for this mission.
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
            && self.regressions.is_empty()
            && self.stranded.is_empty()
            && !self.over_ceiling
    }
}

/// A directive whose loss rose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// The row of the loss table, with the failing tests.
    #[serde(flatten)]
    pub row: DirectiveRow,
    /// Loss in the baseline.
    pub before: f64,
    /// Loss now.
    pub after: f64,
}

/// A test that passed in the baseline and fails now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Regression {
    /// Test ref.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Its directives.
    pub ids: Vec<String>,
    /// Outcome now.
    pub outcome: Outcome,
    /// Source file.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Failure message.
    pub message: Option<String>,
}
