//! The mission file of cargo exemplar.
//!
//! A mission file (`mission.yaml`) declares a project's design as a tree of *ideas* (tenets,
//! `aspect_id: null`) and *directives* (testable invariants under a parent), and carries two
//! sections that `cargo exemplar run` rewrites: `signal:` (the latest outcome of every tagged
//! test, with stable `T` ids) and `history:` (the gradient history, one entry per run that
//! changed something).
//!
//! This crate is plain library code shared by the `#[design]` macro (which checks ids at compile
//! time) and the `cargo exemplar` binary:
//!
//! - [`parse`]: read and validate a mission file; every error carries file, line and column.
//! - [`loss`]: the loss of each node, subtree and the mission, by the rules of the design.
//! - [`time`]: RFC 3339 instants as seconds or milliseconds since 1970.
//! - [`update`]: merge a run's outcomes into the signal and derive the next history entry.
//! - [`tracking`]: the ids file a test build depends on instead of the whole mission.
//! - [`patch`]: design patches, checked as a model, applied as text edits that keep every
//!   other byte.
//! - [`snapshot`]: the design as a run keeps it in the journal.
//! - [`rewrite`]: replace only the `signal:` and `history:` sections, byte-for-byte preserving
//!   the rest, and write the file atomically.
#![warn(missing_docs)]

pub mod branches;
mod errors;
pub mod fingerprint;
pub mod loss;
mod model;
pub mod parse;
pub mod patch;
mod render;
pub mod rewrite;
pub mod snapshot;
pub mod time;
pub mod tracking;
pub mod update;

pub use errors::{MissionError, MissionErrors, PatchError, Problem, RewriteError};
pub use fingerprint::Fingerprint;
pub use model::{
    DesignDelta, Detail, DetailValue, HistoryEntry, Mission, Node, NodeKind, Outcome, Pos,
    SignalEntry, SignalResult, Status, TestId,
};
pub use parse::{parse_design_str, parse_file, parse_str};

/// The file name a package's mission has when `[package.metadata.exemplar] mission` is unset.
pub const DEFAULT_MISSION_FILE: &str = "mission.yaml";

/// How many history entries a mission keeps when the package does not say otherwise.
pub const DEFAULT_HISTORY_CAP: usize = 50;
