//! What to run, as plain types: a command line (or any other caller) builds a plan and hands
//! it to the runner.

use std::path::PathBuf;
use std::time::Duration;

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
    /// One process per test.
    pub isolate: bool,
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
}

impl From<&RunPlan> for ListPlan {
    fn from(run: &RunPlan) -> ListPlan {
        ListPlan {
            selection: run.selection.clone(),
            design: run.design.clone(),
            harness_args: run.harness_args.clone(),
        }
    }
}
