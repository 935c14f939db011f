//! The errors of `cargo exemplar`, and the exit code each maps to.

use std::path::PathBuf;

/// Documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything ran and passed.
    Ok = 0,
    /// Tests failed (or, for `check`, the gate failed).
    Failed = 1,
    /// Usage or input error: bad arguments, a malformed mission file, a build that failed.
    Usage = 2,
}

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad command-line use.
    #[error("{0}")]
    Usage(String),
    /// A file could not be written or read.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The runner failed.
    #[error(transparent)]
    Runner(#[from] exemplar_runner::Error),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] exemplar_store::StoreError),
}

impl Error {
    /// The exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::Usage
    }
}
