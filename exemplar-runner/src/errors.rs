//! Why a run could not do its job. Each error carries what a person needs to fix it: the path,
//! the id, the key, the binary.

use std::path::PathBuf;

/// The errors of the runner.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `cargo metadata` failed.
    #[error("cannot read the cargo workspace: {0}")]
    Metadata(#[from] cargo_metadata::Error),
    /// A `-p` names no member of the workspace.
    #[error("package `{spec}` is not a member of the workspace (members: {members})")]
    UnknownPackage {
        /// The package spec given.
        spec: String,
        /// The members, comma-separated.
        members: String,
    },
    /// `[package.metadata.exemplar]` holds a key of the wrong type.
    #[error("{manifest}: [package.metadata.exemplar] {key} must be {expected}, not {found}")]
    BadMetadata {
        /// The package's Cargo.toml.
        manifest: PathBuf,
        /// The key.
        key: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: String,
    },
    /// A test group of `[package.metadata.exemplar.test-groups]` (or the workspace's) is
    /// malformed.
    #[error("{manifest}: [metadata.exemplar] {key} must be {expected}, not {found}")]
    BadGroup {
        /// The Cargo.toml that sets it.
        manifest: PathBuf,
        /// The key, from `test-groups`.
        key: String,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: String,
    },
    /// `run --rerun-failed` has no run to take its tests from.
    #[error("nothing to rerun: {why}; run `cargo exemplar run` first")]
    NothingToRerun {
        /// Why.
        why: String,
    },
    /// A mission outside any Cargo package cannot be run: its tests are another runner's.
    #[error(
        "{mission} is not in a Cargo package, so exemplar cannot build its tests: run them with their own runner and bring the results in with `cargo exemplar ingest --junit FILE` or `--pytest-reportlog FILE`"
    )]
    NotCargo {
        /// The mission file.
        mission: PathBuf,
    },
    /// The reports given to `ingest` hold no test case.
    #[error(
        "no test case in {files}: nothing to ingest (did the runner stop before it ran a test?)"
    )]
    NothingToIngest {
        /// The reports, comma-separated.
        files: String,
    },
    /// `--mission PATH` names no file.
    #[error("no mission file at {path}")]
    NoMissionFile {
        /// The path given.
        path: PathBuf,
    },
    /// A report of another runner (`ingest`) cannot be read.
    #[error("{path}:{line}:{column}: {detail}")]
    BadReport {
        /// The report.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// What is wrong.
        detail: String,
    },
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
    /// `--design` names a node no selected mission has.
    #[error("--design {id}: no selected mission has a design node `{id}`")]
    UnknownDesignId {
        /// The id.
        id: String,
    },
    /// `--changed REV` names no commit.
    #[error("--changed {rev}: {problem}")]
    Revision {
        /// The revision.
        rev: String,
        /// Why it cannot be read.
        problem: String,
    },
    /// `check --baseline` names neither a run of the journal nor a commit.
    #[error("--baseline {spec}: neither a run in the journal nor a git commit")]
    UnknownBaseline {
        /// What was given.
        spec: String,
    },
    /// The timeout is not a positive number of seconds.
    #[error("--timeout must be a positive number of seconds, not {0}")]
    BadTimeout(f64),
    /// The slow threshold is not a number of seconds.
    #[error("--slow-timeout must be a number of seconds (0: never), not {0}")]
    BadSlowTimeout(f64),
    /// The selected packages have no test binary.
    #[error("the selected packages have no test binary")]
    NoTestBinary,
    /// `cargo test --no-run` failed.
    #[error(
        "the build failed (cargo test --no-run exited with {status}); fix the errors above and run again"
    )]
    Build {
        /// Its exit status.
        status: String,
    },
    /// A file or process could not be created, started or read.
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
    /// A test binary spoke a newer event protocol than this runner.
    #[error(
        "{binary} was built with exemplar {harness} (event protocol {found}); this cargo-exemplar is {runner} and reads protocol {known}: upgrade cargo-exemplar to {harness}"
    )]
    Protocol {
        /// The binary.
        binary: String,
        /// Its protocol.
        found: u32,
        /// Ours.
        known: u32,
        /// The exemplar version the harness reported.
        harness: String,
        /// This runner's version.
        runner: String,
    },
    /// A test binary's link records could not be read.
    #[error("cannot read the design links of {}: {problem}", binary.display())]
    BadLinks {
        /// The binary.
        binary: PathBuf,
        /// What is wrong, with the offset in the link section when it is the records.
        problem: String,
    },
    /// The shards of a run cannot be merged.
    #[error("cannot merge: {0}")]
    CannotMerge(String),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] exemplar_store::StoreError),
    /// The mission file could not be rewritten.
    #[error(transparent)]
    Rewrite(#[from] exemplar_mission::RewriteError),
}

/// A `--partition` that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    /// Not one of the kinds.
    #[error("partition '{0}' must begin with hash:, count: or slice:")]
    Kind(String),
    /// The kind, but not `K/N` with `1 <= K <= N`.
    #[error("partition '{input}' must be in the form kind:K/N: {problem}")]
    Format {
        /// What was given.
        input: String,
        /// What is wrong with it.
        problem: String,
    },
}
