//! Design patches (`exemplar-design-patch`, version 1): structured changes to a mission's
//! design tree, applied all or none by `cargo exemplar design`, and kept in the journal with
//! their lineage.
//!
//! A patch names the design it was made against (`base`, a design fingerprint), lists its
//! operations, and may carry a note and an author. The operations are exemplar's own, on
//! directives by id (not JSON Pointer paths):
//!
//! ```json
//! { "version": 1, "base": "3f1c0a9b2d4e5f60",
//!   "note": "split durability",
//!   "operations": [
//!     { "op": "add", "id": "S7", "name": "Checksums", "parent": "S0",
//!       "status": "proposed", "detail": { "invariant": "a torn write is detected" } },
//!     { "op": "update", "id": "S1", "detail": { "constraint": "fsync before ack" } },
//!     { "op": "move", "id": "S4", "parent": "S7" },
//!     { "op": "retire", "id": "S2" } ] }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::design::Status;

/// The `format` a design patch document may name.
pub const PATCH_FORMAT: &str = "exemplar-design-patch";

/// The version of the design patch document this crate writes and reads.
pub const PATCH_VERSION: u32 = 1;

/// A design patch: operations applied together, or not at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignPatch {
    /// `exemplar-design-patch` (may be left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Schema version (1).
    pub version: u32,
    /// The mission the patch is for, by id; needed only where a workspace has several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mission: Option<String>,
    /// The design fingerprint the patch was made against (all 64 hex digits or a prefix of
    /// at least 8); a design that changed since refuses the patch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Why the design changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who changes it (default: git's `user.name` and `user.email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The operations, applied in order.
    pub operations: Vec<DesignOp>,
}

/// One operation on the design tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum DesignOp {
    /// A new node: a directive under `parent`, or an idea without one.
    Add {
        /// Its id (`S7`), new to the mission.
        id: String,
        /// Its name.
        name: String,
        /// Its parent; absent or null for an idea.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
        /// `proposed` or `active` (default: the file's default, active).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<Status>,
        /// Its detail: `invariant`, `constraint`, `tradeoff`, `type`, `content`, ...
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        detail: BTreeMap<String, String>,
    },
    /// A new name or detail for a node; a detail key set to null is removed.
    Update {
        /// The node.
        id: String,
        /// Its new name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Detail keys to set (text) or remove (null).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        detail: BTreeMap<String, Option<String>>,
    },
    /// `status: retired`: kept for the record, no longer measured or linkable.
    Retire {
        /// The node.
        id: String,
    },
    /// `status: proposed`: measured and shown, never fails the gate.
    Propose {
        /// The node.
        id: String,
    },
    /// `status: active`: measured, and gates.
    Activate {
        /// The node.
        id: String,
    },
    /// A new parent (null: the node becomes an idea).
    Move {
        /// The node.
        id: String,
        /// The new parent (required: null says the node becomes an idea).
        #[serde(deserialize_with = "explicit")]
        #[cfg_attr(feature = "schemars", schemars(required))]
        parent: Option<String>,
    },
    /// The node leaves the file; refused while tests link it or nodes sit under it.
    Remove {
        /// The node.
        id: String,
    },
}

impl DesignOp {
    /// The id of the node the operation is about.
    pub fn id(&self) -> &str {
        match self {
            DesignOp::Add { id, .. }
            | DesignOp::Update { id, .. }
            | DesignOp::Retire { id }
            | DesignOp::Propose { id }
            | DesignOp::Activate { id }
            | DesignOp::Move { id, .. }
            | DesignOp::Remove { id } => id,
        }
    }

    /// The operation's name (`add`, `update`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            DesignOp::Add { .. } => "add",
            DesignOp::Update { .. } => "update",
            DesignOp::Retire { .. } => "retire",
            DesignOp::Propose { .. } => "propose",
            DesignOp::Activate { .. } => "activate",
            DesignOp::Move { .. } => "move",
            DesignOp::Remove { .. } => "remove",
        }
    }
}

impl fmt::Display for DesignOp {
    /// One line: `add S7 under S0`, `update S1 (name, detail.constraint)`, `retire S2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DesignOp::Add { id, parent, .. } => match parent {
                Some(p) => write!(f, "add {id} under {p}"),
                None => write!(f, "add {id} (an idea)"),
            },
            DesignOp::Update { id, name, detail } => {
                let mut what: Vec<String> = Vec::new();
                if name.is_some() {
                    what.push("name".into());
                }
                what.extend(detail.keys().map(|k| format!("detail.{k}")));
                write!(f, "update {id} ({})", what.join(", "))
            }
            DesignOp::Move { id, parent } => match parent {
                Some(p) => write!(f, "move {id} under {p}"),
                None => write!(f, "move {id} to the top (an idea)"),
            },
            other => write!(f, "{} {}", other.name(), other.id()),
        }
    }
}

/// A value that may be null but must be written: `move` without a `parent` is refused rather
/// than read as a move to the top.
fn explicit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// What `cargo exemplar design ... --message-format json` prints: the patch as applied
/// (`exemplar-design-applied`, version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchApplied {
    /// `exemplar-design-applied`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The mission's id.
    pub mission: String,
    /// The mission file.
    pub path: String,
    /// The design fingerprint before the patch.
    pub base: String,
    /// The design fingerprint after it (equal to `base` when nothing changed).
    pub result: String,
    /// The operations.
    pub operations: Vec<DesignOp>,
    /// The note.
    #[serde(default)]
    pub note: Option<String>,
    /// The author.
    #[serde(default)]
    pub author: Option<String>,
    /// False with `--dry-run`, or when the design already was as the patch makes it.
    pub written: bool,
    /// The journal sequence number of the patch record (`None` when not journaled).
    #[serde(default)]
    pub seq: Option<u64>,
    /// What the patch leaves to do: tests that link a node it retired (a retired id does
    /// not build, so they must drop it).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The patch was refused because it was made against another design: the fingerprint it
    /// named, and the design's now (`base` and `result` are then both the design's now, and
    /// nothing was written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<Conflict>,
}

/// A patch made against a design that has changed since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The fingerprint the patch was made against (as given).
    pub base: String,
    /// The design's fingerprint now.
    pub current: String,
}

/// One patch of `cargo exemplar design log` (`exemplar-design-log`, version 1, lists them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchEntry {
    /// The journal sequence number of the patch record.
    pub seq: u64,
    /// When it was applied, RFC 3339.
    pub at: String,
    /// The mission's id.
    pub mission: String,
    /// The design fingerprint it was made against.
    pub base: String,
    /// The design fingerprint it made.
    pub result: String,
    /// The design it was applied to was not the one the previous patch made: the file was
    /// edited by hand (or a run of another tool) in between.
    pub edited_between: bool,
    /// The operations.
    pub operations: Vec<DesignOp>,
    /// The note.
    #[serde(default)]
    pub note: Option<String>,
    /// The author.
    #[serde(default)]
    pub author: Option<String>,
}

/// The document `cargo exemplar design log --message-format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchLog {
    /// `exemplar-design-log`.
    pub format: String,
    /// Schema version (1).
    pub version: u32,
    /// The node the log was asked for (`None`: every patch).
    #[serde(default)]
    pub id: Option<String>,
    /// The patches, oldest first.
    pub patches: Vec<PatchEntry>,
    /// The design fingerprint of each mission file now, by mission id, so a reader can tell
    /// whether the file was edited since the latest patch.
    pub current: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_reads() {
        let doc = r#"{ "version": 1, "base": "3f1c0a9b2d4e5f60", "note": "split durability",
          "operations": [
            { "op": "add", "id": "S7", "name": "Checksums", "parent": "S0",
              "status": "proposed", "detail": { "invariant": "a torn write is detected" } },
            { "op": "update", "id": "S1", "detail": { "constraint": "fsync before ack", "tradeoff": null } },
            { "op": "move", "id": "S4", "parent": "S7" },
            { "op": "move", "id": "S5", "parent": null },
            { "op": "retire", "id": "S2" } ] }"#;
        let p: DesignPatch = serde_json::from_str(doc).unwrap();
        assert_eq!(p.operations.len(), 5);
        assert_eq!(p.operations[0].to_string(), "add S7 under S0");
        assert_eq!(
            p.operations[1].to_string(),
            "update S1 (detail.constraint, detail.tradeoff)"
        );
        assert_eq!(p.operations[3].to_string(), "move S5 to the top (an idea)");
        let back: DesignPatch = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn unknown_operations_and_fields_are_refused() {
        let bad_op = r#"{"version":1,"operations":[{"op":"rename","id":"S1"}]}"#;
        assert!(serde_json::from_str::<DesignPatch>(bad_op).is_err());
        let bad_field = r#"{"version":1,"operations":[{"op":"retire","id":"S1","why":"x"}]}"#;
        assert!(serde_json::from_str::<DesignPatch>(bad_field).is_err());
        let move_without_parent = r#"{"version":1,"operations":[{"op":"move","id":"S1"}]}"#;
        assert!(serde_json::from_str::<DesignPatch>(move_without_parent).is_err());
    }
}
