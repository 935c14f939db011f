//! The in-memory shape of a mission file: design nodes, signal entries, history entries.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A 1-based line and column in a mission file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub column: usize,
}

/// A parsed, validated mission file.
#[derive(Debug, Clone)]
pub struct Mission {
    /// Where it was read from.
    pub path: PathBuf,
    /// The exact text that was parsed (the rewrite splices into it).
    pub source: String,
    /// The mission's id (`kv`).
    pub id: String,
    /// The mission's name.
    pub name: String,
    /// The implementation language, informative (`Rust`).
    pub lang: Option<String>,
    /// The design tree, in file order.
    pub design: Vec<Node>,
    /// The signal as last written.
    pub signal: Vec<SignalEntry>,
    /// The gradient history, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Top-level keys with the line each starts on, in file order (used by the rewrite).
    pub(crate) top_keys: Vec<(String, usize)>,
}

impl Mission {
    /// The design node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.design.iter().find(|n| n.id == id)
    }

    /// Ids of the nodes a `#[design(...)]` attribute may name (every node not retired).
    pub fn linkable_ids(&self) -> Vec<&str> {
        self.design
            .iter()
            .filter(|n| n.status != Status::Retired)
            .map(|n| n.id.as_str())
            .collect()
    }

    /// The children of a node, in file order.
    pub fn children<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.design
            .iter()
            .filter(move |n| n.aspect_id.as_deref() == Some(id))
    }

    /// How deep `node` sits in the design tree: 0 for a root (an idea). A cycle stops the
    /// count at the number of nodes.
    pub fn depth(&self, node: &Node) -> usize {
        let mut depth = 0;
        let mut cur = node.aspect_id.as_deref();
        while let Some(p) = cur {
            depth += 1;
            if depth > self.design.len() {
                break;
            }
            cur = self.node(p).and_then(|n| n.aspect_id.as_deref());
        }
        depth
    }

    /// The ids of a node and all its descendants.
    pub fn subtree(&self, id: &str) -> Vec<String> {
        let mut out = vec![id.to_owned()];
        let mut i = 0;
        while i < out.len() {
            let cur = out[i].clone();
            for c in self.children(&cur) {
                if !out.contains(&c.id) {
                    out.push(c.id.clone());
                }
            }
            i += 1;
        }
        out
    }
}

/// A value under `detail:`: text, a list or a mapping, kept in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailValue {
    /// A scalar, as written.
    Text(String),
    /// A sequence.
    List(Vec<DetailValue>),
    /// A mapping, in file order.
    Map(Vec<(String, DetailValue)>),
}

/// The `detail:` mapping of a node (`invariant`, `constraint`, `tradeoff`, `type`, `content`...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Detail(pub Vec<(String, DetailValue)>);

impl Detail {
    /// The text under `key`, when it is a scalar.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.0.iter().find_map(|(k, v)| match v {
            DetailValue::Text(t) if k == key => Some(t.as_str()),
            _ => None,
        })
    }
}

/// One node of the design tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `S1`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// The parent; `None` for an idea.
    pub aspect_id: Option<String>,
    /// Lifecycle.
    pub status: Status,
    /// The detail mapping.
    pub detail: Detail,
    /// Where the node's `id` value is.
    pub pos: Pos,
    /// Where its `aspect_id` value is (its `id` position when absent).
    pub aspect_pos: Pos,
}

impl Node {
    /// Idea or directive.
    pub fn kind(&self) -> NodeKind {
        if self.aspect_id.is_none() {
            NodeKind::Idea
        } else {
            NodeKind::Directive
        }
    }
}

pub use exemplar_formats::Outcome;
pub use exemplar_formats::design::{DesignDelta, NodeKind, Status};

/// A stable test id, `T0`, `T1`...: assigned on first sight, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TestId(pub u32);

impl fmt::Display for TestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}", self.0)
    }
}

impl FromStr for TestId {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let digits = s.strip_prefix('T').ok_or(())?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(());
        }
        if digits.len() > 1 && digits.starts_with('0') {
            return Err(());
        }
        digits.parse().map(TestId).map_err(|_| ())
    }
}

/// The latest result of a test.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalResult {
    /// The outcome.
    pub outcome: Outcome,
    /// Wall time in seconds.
    pub duration: f64,
    /// When it was recorded (RFC 3339, UTC).
    pub timestamp: String,
}

/// One entry of `signal:`: a tagged test and its latest result.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalEntry {
    /// Stable id.
    pub id: TestId,
    /// `tests/kv.rs::wal_ordering`: the file (relative to the package) and the test's name.
    pub reference: String,
    /// The design ids it verifies.
    pub spec_ids: Vec<String>,
    /// The latest result; `None` when the test is known but has never run.
    pub result: Option<SignalResult>,
}

/// One entry of `history:`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// 1, 2, 3...
    pub iteration: u64,
    /// When (RFC 3339, UTC).
    pub timestamp: String,
    /// The git commit, short, with `+dirty` when the tree had changes.
    pub commit: Option<String>,
    /// Mission loss.
    pub loss: f64,
    /// Change of mission loss from the previous entry (`None` for the first).
    pub delta: Option<f64>,
    /// Direct loss per measured node.
    pub directives: Vec<(String, f64)>,
    /// Design change since the previous entry.
    pub design: DesignDelta,
    /// Free text from `run --note`.
    pub note: Option<String>,
    /// Short fingerprint (16 hex digits) of every node at this entry: the eras of the loss
    /// curves, and staleness of old evidence, are derived from them.
    pub fingerprints: Vec<(String, String)>,
    /// The next test id to assign, so ids of deleted tests are never reused.
    pub next_test_id: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_codes_round_trip_and_unknown_codes_are_none() {
        for o in [
            Outcome::Passed,
            Outcome::Failed,
            Outcome::Ignored,
            Outcome::Crashed,
            Outcome::Timeout,
            Outcome::Stranded,
            Outcome::Flaky,
        ] {
            assert_eq!(Outcome::from_code(o.code()), Some(o));
        }
        assert_eq!(Outcome::from_code(7), None);
    }
}
