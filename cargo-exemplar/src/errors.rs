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
    /// `cargo metadata` failed.
    #[error("cannot read the cargo workspace: {0}")]
    Metadata(String),
    /// One or more mission files are malformed.
    #[error("{0}")]
    Mission(#[from] exemplar_mission::MissionErrors),
    /// No selected package has a mission file.
    #[error(
        "no mission file found in the selected packages ({looked}); add a mission.yaml beside a package's Cargo.toml, or set [package.metadata.exemplar] mission"
    )]
    NoMission {
        /// The packages looked at.
        looked: String,
    },
    /// `cargo test --no-run` failed.
    #[error(
        "the build failed (cargo test --no-run exited with {status}); fix the errors above and run again"
    )]
    Build {
        /// Its exit status.
        status: String,
    },
    /// A process could not be started or read.
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
    /// A test binary spoke a newer event protocol than this cargo-exemplar.
    #[error(
        "{binary} speaks event protocol {found}, this cargo-exemplar knows {known}: rebuild with the same exemplar version"
    )]
    Protocol {
        /// The binary.
        binary: String,
        /// Its protocol.
        found: u32,
        /// Ours.
        known: u32,
    },
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] exemplar_store::StoreError),
    /// The mission file could not be rewritten.
    #[error(transparent)]
    Rewrite(#[from] exemplar_mission::RewriteError),
}

impl Error {
    /// The exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::Usage
    }
}
