//! The words of the design that documents carry: a node's kind and status, the evidence a
//! test gives a node, and the change of the design between two history entries.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Whether a node is an idea (a tenet in prose) or a directive (a testable invariant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// `aspect_id: null`.
    Idea,
    /// Has a parent.
    Directive,
}

/// The lifecycle of a design node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Measured and shown, never fails the gate.
    Proposed,
    /// The default: measured, and gates.
    #[default]
    Active,
    /// Kept for the record; not measured, not linkable.
    Retired,
}

impl Status {
    /// The word used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Proposed => "proposed",
            Status::Active => "active",
            Status::Retired => "retired",
        }
    }
}

impl FromStr for Status {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "proposed" => Ok(Status::Proposed),
            "active" => Ok(Status::Active),
            "retired" => Ok(Status::Retired),
            _ => Err(()),
        }
    }
}

/// Design nodes added, changed and removed since the previous history entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DesignDelta {
    /// New ids.
    #[serde(default)]
    pub added: Vec<String>,
    /// Ids whose fingerprint (name and detail) changed.
    #[serde(default)]
    pub changed: Vec<String>,
    /// Ids gone (or retired).
    #[serde(default)]
    pub removed: Vec<String>,
}

impl DesignDelta {
    /// No change at all.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// What one linked test says about one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// Its latest outcome is `passed` and fresh.
    Passed,
    /// Its latest outcome is failed, crashed, timeout or stranded.
    Failing,
    /// `#[ignore]`d: not evidence.
    Ignored,
    /// Never ran, or ran before the node last changed.
    Unverified,
}
