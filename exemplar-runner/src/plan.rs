//! What to run, as plain types: a command line (or any other caller) builds a plan and hands
//! it to the runner.

use std::path::PathBuf;
use std::time::Duration;

use crate::partition::Partition;

/// Which packages, and how cargo builds them.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Packages by name (empty: the package in the current folder, else the default members).
    pub packages: Vec<String>,
    /// Every member of the workspace.
    pub workspace: bool,
    /// The Cargo.toml to start from.
    pub manifest_path: Option<PathBuf>,
    /// Features to activate.
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// Build in release mode.
    pub release: bool,
    /// With `workspace`: members to leave out.
    pub exclude: Vec<String>,
    /// Only these test targets (`--lib`, `--bins`, `--test NAME`); empty: all of them.
    pub targets: TargetFilter,
    /// Cargo's own flags, passed through as given.
    pub cargo: CargoFlags,
    /// A mission file outside any Cargo package (`--mission`): the one mission, instead of
    /// the workspace's (see [`crate::standalone`]).
    pub mission: Option<PathBuf>,
}

impl Selection {
    /// Whether only some test targets are built and run, so that a package's tests outside
    /// them are not evidence of anything (neither gone nor run).
    pub fn is_partial(&self) -> bool {
        self.targets.lib || self.targets.bins || !self.targets.tests.is_empty()
    }
}

/// Which test targets to build and run, as `cargo test` selects them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetFilter {
    /// The library's unit tests.
    pub lib: bool,
    /// Every binary's unit tests.
    pub bins: bool,
    /// These integration test targets.
    pub tests: Vec<String>,
}

/// Flags of cargo's that the build takes as they are.
#[derive(Debug, Clone, Default)]
pub struct CargoFlags {
    /// `--target TRIPLE`.
    pub target: Option<String>,
    /// `--profile NAME`.
    pub profile: Option<String>,
    /// `--target-dir DIR`.
    pub target_dir: Option<PathBuf>,
    /// `--locked`.
    pub locked: bool,
    /// `--offline`.
    pub offline: bool,
    /// `--frozen`.
    pub frozen: bool,
    /// `--quiet`.
    pub quiet: bool,
    /// `-v`, as many as given.
    pub verbose: u8,
    /// `--jobs N` for cargo's build.
    pub build_jobs: Option<u32>,
}

impl CargoFlags {
    /// The flags, as cargo's command line spells them.
    pub fn args(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = &self.target {
            out.extend(["--target".to_owned(), t.clone()]);
        }
        if let Some(p) = &self.profile {
            out.extend(["--profile".to_owned(), p.clone()]);
        }
        if let Some(d) = &self.target_dir {
            out.extend(["--target-dir".to_owned(), d.display().to_string()]);
        }
        for (on, flag) in [
            (self.locked, "--locked"),
            (self.offline, "--offline"),
            (self.frozen, "--frozen"),
        ] {
            if on {
                out.push(flag.to_owned());
            }
        }
        if self.quiet {
            out.push("--quiet".to_owned());
        }
        if let Some(n) = self.build_jobs {
            out.extend(["--jobs".to_owned(), n.to_string()]);
        }
        // One -v of ours is the test lines; cargo's begin at -vv.
        for _ in 1..self.verbose {
            out.push("-v".to_owned());
        }
        out
    }

    /// The flags `cargo metadata` takes too.
    pub fn metadata_args(&self) -> Vec<String> {
        [
            (self.locked, "--locked"),
            (self.offline, "--offline"),
            (self.frozen, "--frozen"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| f.to_owned())
        .collect()
    }
}

/// Where a run records itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum JournalChoice {
    /// `EXEMPLAR_JOURNAL`, else `.exemplar/` at the workspace root.
    #[default]
    Default,
    /// This folder.
    At(PathBuf),
    /// Nowhere: the run is not recorded.
    Off,
}

/// A run: what to build, which tests to run and how, and what to write.
#[derive(Debug, Clone, Default)]
pub struct RunPlan {
    /// Packages and build options.
    pub selection: Selection,
    /// Run only tests linked to these directives and their subtrees.
    pub design: Vec<String>,
    /// `--changed REV`: also run the tests linked to the directives whose text changed since
    /// this git revision, and their subtrees (and only those, with `design` empty).
    pub changed_since: Option<String>,
    /// One process per test.
    pub isolate: bool,
    /// Run what the latest run left outstanding: its failing tests and those it never ran
    /// (`--rerun-failed`; see [`rerun`](crate::rerun)).
    pub rerun_failed: bool,
    /// Start no test after one has failed (`--fail-fast`); by default every planned test
    /// runs, so that every directive gets its loss.
    pub fail_fast: bool,
    /// Tell of a test running longer than this, and again at each multiple.
    pub slow_timeout: Option<Duration>,
    /// Run a failing test again, alone, up to this many times; one that passes is `flaky`.
    /// `None`: each package's `[package.metadata.exemplar] retries`, else none.
    pub retries: Option<u32>,
    /// A flaky test fails the run (`--flaky-result fail`); by default it does not (its
    /// directive's loss counts it as failing either way).
    pub flaky_fails: bool,
    /// Stream the tests' output live instead of capturing it (one test at a time).
    pub no_capture: bool,
    /// Kill a test that runs longer, and record it `timeout`.
    pub timeout: Option<Duration>,
    /// Rewrite the mission files.
    pub rewrite: bool,
    /// A note for the history entry.
    pub note: Option<String>,
    /// Where to record the run.
    pub journal: JournalChoice,
    /// Wait for another run that holds the journal (else fail at once).
    pub wait: bool,
    /// Arguments for the harness (filters, `--exact`, `--skip`, ...).
    pub harness_args: Vec<String>,
    /// Run one shard of the suite (`--partition hash:1/3`); the tests of the other shards are
    /// recorded as such. A shard never rewrites the mission files.
    pub partition: Option<Partition>,
    /// The CI run a shard belongs to, recorded so that its shards merge into one run.
    pub run_group: Option<String>,
}

/// A listing: the tests a run with the same selection and arguments would see.
#[derive(Debug, Clone, Default)]
pub struct ListPlan {
    /// Packages and build options.
    pub selection: Selection,
    /// Show tests not linked to these directives as filtered.
    pub design: Vec<String>,
    /// The harness's selecting arguments.
    pub harness_args: Vec<String>,
    /// Show the tests of other shards as such (`--partition`).
    pub partition: Option<Partition>,
}

impl From<&RunPlan> for ListPlan {
    fn from(run: &RunPlan) -> ListPlan {
        ListPlan {
            selection: run.selection.clone(),
            design: run.design.clone(),
            harness_args: run.harness_args.clone(),
            partition: run.partition,
        }
    }
}
