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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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

/// A design as the journal keeps it with each run (a blob the run's start names), so the
/// design a run measured can be shown later as it was: `status --at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignSnapshot {
    /// Schema version (1).
    pub version: u32,
    /// The nodes, in file order.
    pub nodes: Vec<DesignNode>,
}

/// One node of a [`DesignSnapshot`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignNode {
    /// `S1`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its parent (`None`: an idea).
    #[serde(default)]
    pub parent: Option<String>,
    /// Its status.
    pub status: Status,
    /// Its detail, in file order (text, lists and mappings as JSON).
    #[serde(default)]
    pub detail: serde_json::Map<String, serde_json::Value>,
}

impl DesignSnapshot {
    /// How deep `node` sits: 0 for an idea. A cycle stops the count at the number of nodes.
    pub fn depth(&self, node: &DesignNode) -> usize {
        let mut depth = 0;
        let mut cur = node.parent.as_deref();
        while let Some(p) = cur {
            depth += 1;
            if depth > self.nodes.len() {
                break;
            }
            cur = self
                .nodes
                .iter()
                .find(|n| n.id == p)
                .and_then(|n| n.parent.as_deref());
        }
        depth
    }
}
