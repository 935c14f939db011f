//! The errors of `cargo exemplar`, and the exit code each maps to.

use std::path::PathBuf;

/// Documented exit codes (`cargo exemplar --help` and the book list them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything ran and passed.
    Ok = 0,
    /// Tests failed (or, for `check`, the gate failed).
    Failed = 1,
    /// Usage or input error: bad arguments, an unknown run, a journal another run holds.
    Usage = 2,
    /// The build failed (`cargo test --no-run`).
    Build = 3,
    /// A mission file (or the package's `[package.metadata.exemplar]`) is invalid.
    Mission = 4,
    /// The journal is damaged, or of a newer format than this cargo-exemplar reads.
    Journal = 5,
    /// Tests remain outstanding: `--fail-fast` left tests not run, or a `--rerun-failed` run
    /// left tests failing; `run --rerun-failed` has more to do.
    Outstanding = 6,
    /// `design`: the patch was made against a design that has changed since (or the file
    /// changed while it was patched).
    Conflict = 7,
    /// A write the disk refused (full, read-only): `run` ran the tests and showed them, but
    /// part of the run was not recorded; a report or other file was not written. The message
    /// names each path and what it did not get.
    Unrecorded = 8,
}

impl ExitCode {
    /// How a run (`run`, `merge`, `ingest`) exits: a write the disk refused first, then tests
    /// left outstanding, then failures.
    pub fn of_run(s: &exemplar_runner::Session) -> ExitCode {
        if s.unrecorded() {
            ExitCode::Unrecorded
        } else if s.not_run > 0 || (s.rerun_of.is_some() && s.outstanding() > 0) {
            ExitCode::Outstanding
        } else if s.failed() {
            ExitCode::Failed
        } else {
            ExitCode::Ok
        }
    }
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
    /// A design patch was refused.
    #[error(transparent)]
    Patch(#[from] exemplar_mission::PatchError),
    /// A mission file could not be written.
    #[error(transparent)]
    Rewrite(#[from] exemplar_mission::RewriteError),
    /// The work was done, but the journal could not record it.
    #[error("{done}, but the journal could not record it: {source}")]
    NotRecorded {
        /// What was done ("patched mission.yaml").
        done: String,
        /// Why the journal did not take its record.
        #[source]
        source: exemplar_store::StoreError,
    },
}

impl Error {
    /// The exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        use exemplar_runner::Error as Runner;
        use exemplar_store::StoreError as Store;
        let journal = |e: &Store| match e {
            e if e.is_unwritable() => ExitCode::Unrecorded,
            Store::NotASegment { .. }
            | Store::NewerFormat { .. }
            | Store::Corrupt { .. }
            | Store::NewerIndex { .. }
            | Store::Decode { .. }
            | Store::NotABundle { .. }
            | Store::BundleDamaged { .. }
            | Store::UnknownKind { .. }
            | Store::Unsettled { .. } => ExitCode::Journal,
            _ => ExitCode::Usage,
        };
        match self {
            Error::Io {
                action: "write" | "create",
                source,
                ..
            }
            | Error::Rewrite(exemplar_mission::RewriteError::Io { source, .. })
                if exemplar_store::is_unwritable(source) =>
            {
                ExitCode::Unrecorded
            }
            Error::NotRecorded { source, .. } => journal(source),
            Error::Runner(Runner::Build { .. }) => ExitCode::Build,
            Error::Runner(
                Runner::Mission(_)
                | Runner::BadMetadata { .. }
                | Runner::BadGroup { .. }
                | Runner::Rewrite(exemplar_mission::RewriteError::Unsupported { .. }),
            ) => ExitCode::Mission,
            Error::Runner(Runner::Journal(e)) | Error::Journal(e) => journal(e),
            Error::Patch(exemplar_mission::PatchError::Conflict { .. })
            | Error::Rewrite(exemplar_mission::RewriteError::ChangedOnDisk { .. }) => {
                ExitCode::Conflict
            }
            Error::Patch(
                exemplar_mission::PatchError::Unsupported { .. }
                | exemplar_mission::PatchError::RoundTrip { .. },
            ) => ExitCode::Mission,
            _ => ExitCode::Usage,
        }
    }
}
