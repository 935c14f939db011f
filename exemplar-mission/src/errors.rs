//! Errors of the mission crate: what is wrong with a mission file, and where.

use std::fmt;
use std::path::PathBuf;

use crate::model::Pos;

/// One problem found in a mission file, at a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissionError {
    /// The mission file.
    pub path: PathBuf,
    /// Where in the file (1-based line and column).
    pub pos: Pos,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for MissionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.pos.line,
            self.pos.column,
            self.problem
        )
    }
}

impl std::error::Error for MissionError {}

/// Every problem found in one mission file, in file order. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissionErrors(pub Vec<MissionError>);

impl MissionErrors {
    /// The first problem (there is always one).
    pub fn first(&self) -> &MissionError {
        &self.0[0]
    }
}

impl fmt::Display for MissionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for MissionErrors {}

/// What is wrong at one place of a mission file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The file could not be read.
    #[error("cannot read the mission file: {0}")]
    Read(String),
    /// The text is not valid YAML (or uses a YAML feature missions do not allow).
    #[error("invalid yaml: {0}")]
    Syntax(String),
    /// The document is not a mapping at the top.
    #[error("a mission file must be a mapping at the top level (id, name, design, ...)")]
    TopLevelNotMapping,
    /// A required key is absent.
    #[error("missing `{key}` in {context}")]
    Missing {
        /// The key.
        key: &'static str,
        /// What it is missing from, e.g. "design node S1".
        context: String,
    },
    /// A value has the wrong type.
    #[error("`{key}` must be {expected}, found {found}")]
    WrongType {
        /// The key whose value is wrong.
        key: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// A key the schema does not know (a typo, usually). Keys starting with `x-` are free.
    #[error("unknown key `{key}` in {context} (expected one of: {expected})")]
    UnknownKey {
        /// The key.
        key: String,
        /// Where it was found.
        context: String,
        /// The keys allowed there.
        expected: &'static str,
    },
    /// The same key twice in one mapping.
    #[error("duplicate key `{key}` (first at line {first_line})")]
    DuplicateKey {
        /// The key.
        key: String,
        /// The line of its first occurrence.
        first_line: usize,
    },
    /// An id that is not of the allowed shape.
    #[error("bad id `{id}`: a design id is a letter followed by letters, digits or `_` (like S1)")]
    BadId {
        /// The id.
        id: String,
    },
    /// Two design nodes with one id.
    #[error("duplicate design id `{id}` (first defined at line {first_line})")]
    DuplicateId {
        /// The id.
        id: String,
        /// Line of the first definition.
        first_line: usize,
    },
    /// An `aspect_id` naming no node.
    #[error(
        "`aspect_id` names `{id}`, which is not a design node of this mission (known: {known})"
    )]
    UnknownAspect {
        /// The unknown parent id.
        id: String,
        /// The ids that exist.
        known: String,
    },
    /// `aspect_id` links that loop.
    #[error("`aspect_id` forms a cycle: {cycle}")]
    Cycle {
        /// The ids around the loop, e.g. "S1 -> S2 -> S1".
        cycle: String,
    },
    /// A `status` value that is not proposed, active or retired.
    #[error("unknown status `{0}` (expected proposed, active or retired)")]
    UnknownStatus(String),
    /// An outcome that is not one of the five.
    #[error(
        "unknown outcome `{0}` (expected passed, failed, ignored, crashed, timeout, stranded or flaky)"
    )]
    UnknownOutcome(String),
    /// A signal id that is not `T<number>`.
    #[error("bad test id `{0}` (expected T followed by a number, like T0)")]
    BadTestId(String),
    /// Two signal entries with one id.
    #[error("duplicate test id `{id}` (first at line {first_line})")]
    DuplicateTestId {
        /// The id.
        id: String,
        /// Line of the first one.
        first_line: usize,
    },
    /// Two signal entries with one `ref`.
    #[error("duplicate test ref `{reference}` (first at line {first_line})")]
    DuplicateRef {
        /// The ref.
        reference: String,
        /// Line of the first one.
        first_line: usize,
    },
    /// A timestamp that is not RFC 3339.
    #[error("bad timestamp `{0}` (expected RFC 3339, like 2025-12-01T13:00:00Z)")]
    BadTimestamp(String),
    /// A number out of its range.
    #[error("`{key}` is out of range: {value}")]
    OutOfRange {
        /// The key.
        key: String,
        /// The value found.
        value: String,
    },
}

/// Why a mission file could not be rewritten.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RewriteError {
    /// Reading, writing, syncing or renaming failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Someone changed the file between our read and our write.
    #[error("{path} changed on disk since it was read; not overwriting it (run again)")]
    ChangedOnDisk {
        /// The mission file.
        path: PathBuf,
    },
    /// The file's layout is one the rewrite cannot splice safely.
    #[error("cannot rewrite {path}: {reason}")]
    Unsupported {
        /// The mission file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The rewritten text failed to parse back to the same design (a bug; nothing was written).
    #[error("internal error: the rewritten {path} would not parse back: {detail}")]
    RoundTrip {
        /// The mission file.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
    /// Serializing the generated sections failed.
    #[error("cannot render the {section} section: {detail}")]
    Render {
        /// `signal` or `history`.
        section: &'static str,
        /// The serializer's message.
        detail: String,
    },
}

/// Why a design patch was refused. Nothing is written when any operation is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// The design changed since the fingerprint the patch was made against.
    #[error(
        "conflict: {path} has design {}, but the patch was made against {base}; read the design again and remake the patch", &current[..16.min(current.len())]
    )]
    Conflict {
        /// The mission file.
        path: PathBuf,
        /// The fingerprint the patch names.
        base: String,
        /// The design's fingerprint now.
        current: String,
    },
    /// `--base` is not a fingerprint.
    #[error("bad base `{0}`: a design fingerprint is hex, 8 to 64 digits")]
    BadBase(String),
    /// An operation names a node the design does not have.
    #[error("operation {index} ({op}): no design node `{id}` (known: {known})")]
    UnknownId {
        /// 1-based position of the operation in the patch.
        index: usize,
        /// The operation, in one line.
        op: String,
        /// The id.
        id: String,
        /// The ids that exist.
        known: String,
    },
    /// `add` of an id the design already has.
    #[error("operation {index} ({op}): `{id}` is already a design node")]
    IdTaken {
        /// 1-based position of the operation.
        index: usize,
        /// The operation.
        op: String,
        /// The id.
        id: String,
    },
    /// An id not of the allowed shape.
    #[error(
        "operation {index} ({op}): bad id `{id}`: a design id is a letter followed by letters, digits or `_` (like S1)"
    )]
    BadId {
        /// 1-based position of the operation.
        index: usize,
        /// The operation.
        op: String,
        /// The id.
        id: String,
    },
    /// A parent that is not a node of the design.
    #[error(
        "operation {index} ({op}): the parent `{parent}` is not a design node (known: {known})"
    )]
    UnknownParent {
        /// 1-based position of the operation.
        index: usize,
        /// The operation.
        op: String,
        /// The parent named.
        parent: String,
        /// The ids that exist.
        known: String,
    },
    /// A move that would put a node under itself.
    #[error("operation {index} ({op}): it would make a cycle: {cycle}")]
    Cycle {
        /// 1-based position of the operation.
        index: usize,
        /// The operation.
        op: String,
        /// The loop, e.g. `S1 -> S3 -> S1`.
        cycle: String,
    },
    /// A name or detail value that is empty, or a detail key that is not a key.
    #[error("operation {index} ({op}): {reason}")]
    BadValue {
        /// 1-based position of the operation.
        index: usize,
        /// The operation.
        op: String,
        /// What is wrong.
        reason: String,
    },
    /// `remove` of a node tests still link.
    #[error(
        "operation {index} ({op}): tests still link `{id}`: {tests}; untag those tests first, or retire it instead to keep it on record (`cargo exemplar design retire {id}`)"
    )]
    StillLinked {
        /// 1-based position of the operation.
        index: usize,
        /// The operation.
        op: String,
        /// The id.
        id: String,
        /// The tests, by reference.
        tests: String,
    },
    /// `remove` of a node that has children.
    #[error(
        "operation {index} ({op}): `{id}` has nodes under it: {children}; move or remove them first"
    )]
    HasChildren {
        /// 1-based position of the operation.
        index: usize,
        /// The operation.
        op: String,
        /// The id.
        id: String,
        /// Its children.
        children: String,
    },
    /// The file is laid out in a way the patch cannot edit in place.
    #[error("cannot patch {path}: {reason}")]
    Unsupported {
        /// The mission file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The patched text did not read back as the design meant (nothing was written).
    #[error("internal error: the patched {path} would not read back as meant: {detail}")]
    RoundTrip {
        /// The mission file.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
}
