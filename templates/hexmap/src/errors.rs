//! Errors of hexmap: grammar diagnostics with their position, patch and store errors, I/O.

use std::fmt;
use std::path::PathBuf;

/// A line and column (1-based) in a grammar's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// One problem in a grammar: where (spec path and text position) and what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// The spec path, such as `types.Header.fields[2].size`; empty for the whole text.
    pub path: String,
    /// Where it was written, when the grammar came from text.
    pub pos: Option<Pos>,
    /// What is wrong, in lowercase.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `path`.
    pub fn new(path: impl Into<String>, pos: Option<Pos>, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.into(),
            pos,
            message: message.into(),
        }
    }

    /// `file:line:column: message (at path)`, for a grammar read from `file`.
    pub fn render(&self, file: &str) -> String {
        let at = match self.pos {
            Some(p) => format!("{file}:{}:{}", p.line, p.column),
            None => file.to_owned(),
        };
        if self.path.is_empty() {
            format!("{at}: {}", self.message)
        } else {
            format!("{at}: {} (at {})", self.message, self.path)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("grammar"))
    }
}

/// Why a patch could not be applied. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
pub enum PatchError {
    /// The patch is malformed on its own (bad path, missing field name, no ops).
    #[error("invalid patch: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// Operation number `op` (0-based) does not fit the spec.
    #[error("op {op} ({kind} {path}): {message}")]
    Op {
        /// Index of the failing operation.
        op: usize,
        /// Its kind, such as `insert_field`.
        kind: &'static str,
        /// Its path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The grammar does not lint; positions are in the canonical text of the would-be version.
    #[error("lint failed: {}", .0.iter().map(|d| d.render("patched grammar")).collect::<Vec<_>>().join("; "))]
    Lint(Vec<Diagnostic>),
    /// The parent version does not exist.
    #[error("unknown spec version `{0}`")]
    UnknownVersion(String),
}

/// Errors of the tools and the command line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HexmapError {
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A grammar has problems; each diagnostic has its position.
    #[error("{}", .diagnostics.iter().map(|d| d.render(.file)).collect::<Vec<_>>().join("\n"))]
    Grammar {
        /// The grammar's file name, for messages.
        file: String,
        /// The problems.
        diagnostics: Vec<Diagnostic>,
    },
    /// A patch failed.
    #[error(transparent)]
    Patch(#[from] PatchError),
    /// A candidates file is malformed.
    #[error("{path}: {message}")]
    Candidates {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column when known.
        message: String,
    },
    /// A field path given to `decode_field` does not name a field of the parse.
    #[error("no field `{0}` in the parse")]
    NoSuchField(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = HexmapError> = std::result::Result<T, E>;
