//! The command line of `cargo exemplar`, parsed with clap. Only this module and `main.rs` know
//! about clap; the library modules take plain option structs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::style::ColorChoice;

/// Cargo test runner for spec-driven development.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-exemplar",
    bin_name = "cargo exemplar",
    version,
    about = "Run tests tagged with #[design(...)], measure the loss of each design directive, and keep the gradient history in the mission file",
    after_help = "Exit codes: 0 ok; 1 tests failed (check: the gate failed); 2 usage or input error; 3 the build failed; 4 a mission file (or [package.metadata.exemplar]) is invalid; 5 the journal is damaged or newer than this cargo-exemplar; 6 tests remain outstanding; 7 a design patch conflicts with the design as it is now; 8 a write the disk refused (full, read-only): part of a run, or a report, was not recorded."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Coloring: auto, always, never (default: CARGO_TERM_COLOR, else auto; NO_COLOR is honored).
    #[arg(long, global = true, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build and run the tagged tests, compute the loss, rewrite the mission files.
    Run(RunArgs),
    /// List every test: its binary, its directives, and whether a run would run it (nothing
    /// runs; `run -- --list` does the same).
    List(ListArgs),
    /// The pre-commit gate: run the tests and fail when an active directive's loss rose or a
    /// test that passed in the baseline fails now.
    Check(CheckArgs),
    /// Git hooks: `hook install` writes a pre-commit hook that runs `check`.
    Hook(HookCommand),
    /// Write reports from the journal: an HTML page of loss curves, JUnit XML, JSON, Markdown.
    Report(ReportArgs),
    /// The loss table of the latest run (or of `--at`), from the journal, without building.
    Status(StatusArgs),
    /// The directive to work on next (highest loss; of equals, the one whose loss rose last):
    /// its invariant and constraint, its failing tests with file:line and messages, their
    /// source files, and where its loss is heading.
    Next(NextArgs),
    /// The same for one directive (`S3`, or `MISSION/S3` where several missions have an S3).
    Explain(ExplainArgs),
    /// Runs over time; or the loss of a directive (S1) or the outcomes of a test over runs.
    History(HistoryArgs),
    /// One run: its outcomes and failure messages.
    Show(ShowArgs),
    /// What changed between two runs: tests that flipped, loss deltas, design changes.
    Diff(DiffArgs),
    /// Tests whose outcome changed between runs of the same (clean) commit.
    Flaky(JournalArgs),
    /// Look after the journal: verify, repair, rebuild-index, export, import.
    Journal(JournalCommand),
    /// Merge the shards of a partitioned run, imported into one journal, into the run they
    /// are together: the loss of the whole suite, the mission files rewritten once.
    Merge(MergeArgs),
    /// Bring in the results of another runner (JUnit XML: nextest, pytest, gotestsum,
    /// jest-junit; or a pytest report-log) as a run: journaled, its loss measured, its
    /// mission file rewritten.
    Ingest(IngestArgs),
    /// Git's merge driver for mission files (`new`, `init` and `hook install` register it):
    /// merges `signal:` and `history:` of two branches, and leaves a design both changed to
    /// git's line merge.
    MergeDriver(MergeDriverArgs),
    /// Start a project from a bundled reference mission (kv, persist, hexmap).
    New(NewArgs),
    /// Adopt exemplar in an existing crate or workspace: a starter mission file and the
    /// exemplar-test dev-dependency (refuses to overwrite a mission file).
    Init(InitArgs),
    /// Print the JSON Schema of the mission file (`new` and `init` write it beside the mission
    /// as mission.schema.json, for editors).
    Schema,
    /// Change the design with structured patches: validated, applied all or none, every other
    /// byte of the mission file kept, and journaled with their lineage (`design log`).
    Design(DesignCommand),
    /// On each save, run the tests linked to what changed (a test target, a package, the
    /// directives whose text changed) and print how each mission's loss moved.
    Watch(WatchArgs),
    /// Serve the Model Context Protocol on stdio, for agents: status, run, check, next,
    /// explain, history, diff and design patches as tools; the mission files and their schema
    /// as resources.
    Mcp(McpArgs),
}

/// `cargo exemplar watch`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Which packages to watch and run.
    #[command(flatten)]
    pub missions: MissionSelection,
    /// The journal folder (default: .exemplar/ at the workspace root).
    #[arg(long, value_name = "DIR", env = "EXEMPLAR_JOURNAL")]
    pub journal: Option<PathBuf>,
    /// How long to wait for more changes after the first, in milliseconds, before running.
    #[arg(long, value_name = "MS", default_value_t = 300)]
    pub debounce: u64,
    /// Arguments for the test harness of every run (after `--`), e.g. a name filter.
    #[arg(last = true, value_name = "HARNESS ARGS")]
    pub harness_args: Vec<String>,
}

/// `cargo exemplar mcp`.
#[derive(Debug, Clone, Args)]
pub struct McpArgs {
    /// The journal folder the tools use (default: .exemplar/ at the workspace root).
    #[arg(long, value_name = "DIR", env = "EXEMPLAR_JOURNAL")]
    pub journal: Option<PathBuf>,
    /// Path to Cargo.toml (default: the project in the current folder).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

/// `cargo exemplar design ...`.
#[derive(Debug, Clone, Args)]
pub struct DesignCommand {
    /// The operation.
    #[command(subcommand)]
    pub action: DesignAction,
}

/// The design operations.
#[derive(Debug, Clone, Subcommand)]
pub enum DesignAction {
    /// Add a node: a directive under `--parent`, or an idea without one.
    Add(DesignAddArgs),
    /// Change a node's name or detail.
    Update(DesignUpdateArgs),
    /// Retire a node: kept for the record, no longer measured or linkable.
    Retire(DesignIdArgs),
    /// Make a node proposed: measured and shown, never fails the gate.
    Propose(DesignIdArgs),
    /// Make a node active: measured, and gates.
    Activate(DesignIdArgs),
    /// Give a node a new parent (`--parent ID`), or make it an idea (`--top`).
    Move(DesignMoveArgs),
    /// Remove a node from the file; refused while tests link it (retire it instead) or nodes
    /// sit under it.
    Remove(DesignIdArgs),
    /// Apply a patch document (`exemplar-design-patch`, JSON) from a file, or `-` for stdin.
    Apply(DesignApplyArgs),
    /// The lineage: every patch, or those touching one node, oldest first.
    Log(DesignLogArgs),
}

/// What every patch command takes besides its operation.
#[derive(Debug, Clone, Args)]
pub struct PatchArgs {
    /// The design fingerprint the patch is made against (from `design log`, `status`, or a
    /// patch's output; 8 to 64 hex digits): refused, as a conflict, when the design changed
    /// since.
    #[arg(long, value_name = "FINGERPRINT")]
    pub base: Option<String>,
    /// Why the design changes, kept with the patch.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Who changes it (default: git's user.name and user.email).
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
    /// Check the patch and print the lines it would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Fail at once when a run holds the journal, instead of waiting.
    #[arg(long)]
    pub no_wait: bool,
    /// Which package's mission (default: the one that has the node; `MISSION/ID` also says).
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub package: Option<String>,
    /// Journal and output.
    #[command(flatten)]
    pub journal: JournalArgs,
}

/// `design retire|propose|activate|remove ID`.
#[derive(Debug, Clone, Args)]
pub struct DesignIdArgs {
    /// The node: `S3`, or `MISSION/S3`.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Base, note, author, mission.
    #[command(flatten)]
    pub patch: PatchArgs,
}

/// A node's detail, as flags.
#[derive(Debug, Clone, Args)]
pub struct DetailArgs {
    /// The directive's testable invariant.
    #[arg(long, value_name = "TEXT")]
    pub invariant: Option<String>,
    /// Its constraint.
    #[arg(long, value_name = "TEXT")]
    pub constraint: Option<String>,
    /// Its tradeoff.
    #[arg(long, value_name = "TEXT")]
    pub tradeoff: Option<String>,
    /// An idea's type (`tenet`).
    #[arg(long = "type", value_name = "TEXT")]
    pub kind: Option<String>,
    /// An idea's content.
    #[arg(long, value_name = "TEXT")]
    pub content: Option<String>,
    /// Any other detail key (repeatable).
    #[arg(long = "detail", value_name = "KEY=VALUE")]
    pub detail: Vec<String>,
}

/// `design add`.
#[derive(Debug, Clone, Args)]
pub struct DesignAddArgs {
    /// The new node's id: `S7`, or `MISSION/S7`.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Its name.
    #[arg(long, value_name = "TEXT")]
    pub name: String,
    /// Its parent (without one, the node is an idea).
    #[arg(long, value_name = "ID")]
    pub parent: Option<String>,
    /// Add it as proposed: measured and shown, never failing the gate.
    #[arg(long)]
    pub proposed: bool,
    /// Its detail.
    #[command(flatten)]
    pub detail: DetailArgs,
    /// Base, note, author, mission.
    #[command(flatten)]
    pub patch: PatchArgs,
}

/// `design update`.
#[derive(Debug, Clone, Args)]
pub struct DesignUpdateArgs {
    /// The node: `S3`, or `MISSION/S3`.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Its new name.
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    /// Detail to set.
    #[command(flatten)]
    pub detail: DetailArgs,
    /// A detail key to remove (repeatable).
    #[arg(long, value_name = "KEY")]
    pub unset: Vec<String>,
    /// Base, note, author, mission.
    #[command(flatten)]
    pub patch: PatchArgs,
}

/// `design move`.
#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("to").required(true).args(["parent", "top"]))]
pub struct DesignMoveArgs {
    /// The node: `S3`, or `MISSION/S3`.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Its new parent.
    #[arg(long, value_name = "ID")]
    pub parent: Option<String>,
    /// Make it an idea (no parent).
    #[arg(long)]
    pub top: bool,
    /// Base, note, author, mission.
    #[command(flatten)]
    pub patch: PatchArgs,
}

/// `design apply`.
#[derive(Debug, Clone, Args)]
pub struct DesignApplyArgs {
    /// The patch document (JSON), or `-` for stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Base, note, author, mission (the document's own `base`, `note`, `author` and
    /// `mission` come first).
    #[command(flatten)]
    pub patch: PatchArgs,
}

/// `design log`.
#[derive(Debug, Clone, Args)]
pub struct DesignLogArgs {
    /// Only the patches touching this node (`S3` or `MISSION/S3`).
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// Journal and output.
    #[command(flatten)]
    pub journal: JournalArgs,
}

/// `cargo exemplar init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Which packages.
    #[command(flatten)]
    pub missions: MissionSelection,
}

/// `cargo exemplar new`.
#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// The reference mission to start from: kv, persist or hexmap.
    #[arg(long, value_name = "NAME")]
    pub template: String,
    /// The folder to create (it must not exist, or be empty).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// The package name (default: the folder's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// `cargo exemplar check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// What to compare with: a run id (or prefix, or `latest`) from the journal, or a git
    /// commit whose mission files hold the signal (default: the mission files at HEAD).
    #[arg(long, value_name = "RUN|COMMIT")]
    pub baseline: Option<String>,
    /// Also fail when a mission's loss is above this (default: the package's
    /// `[package.metadata.exemplar] max-loss`, else no ceiling).
    #[arg(long, value_name = "LOSS")]
    pub max_loss: Option<f64>,
    /// Rewrite the mission files with this run's signal (check leaves them alone by default).
    #[arg(long)]
    pub rewrite: bool,
    /// How to run the tests (the options of `run`).
    #[command(flatten)]
    pub run: RunArgs,
}

/// `cargo exemplar report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Write the self-contained HTML report here.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Write JUnit XML of the latest run here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write the JSON report (schema exemplar-report v1) here, or to stdout without a path.
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<String>,
    /// Write the Markdown summary here, or to stdout without a path.
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "-")]
    pub markdown: Option<String>,
    /// The journal folder (default: .exemplar/ at the workspace root).
    #[arg(long, value_name = "DIR", env = "EXEMPLAR_JOURNAL")]
    pub journal: Option<PathBuf>,
    /// Which packages' missions to show.
    #[command(flatten)]
    pub selection: MissionSelection,
    /// A mission file outside any Cargo package (a project whose tests another runner runs).
    #[arg(long, value_name = "PATH")]
    pub mission: Option<PathBuf>,
}

/// Which packages' missions a command reads (it builds nothing).
#[derive(Debug, Clone, Args, Default)]
pub struct MissionSelection {
    /// Package(s) (default: the package in the current directory, else the workspace's
    /// default members).
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    /// Every package of the workspace that has a mission file.
    #[arg(long)]
    pub workspace: bool,
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

impl From<&MissionSelection> for exemplar_runner::Selection {
    fn from(s: &MissionSelection) -> exemplar_runner::Selection {
        exemplar_runner::Selection {
            packages: s.packages.clone(),
            workspace: s.workspace,
            manifest_path: s.manifest_path.clone(),
            ..exemplar_runner::Selection::default()
        }
    }
}

/// `cargo exemplar hook ...`.
#[derive(Debug, Clone, Args)]
pub struct HookCommand {
    /// What to do.
    #[command(subcommand)]
    pub action: HookAction,
}

/// Hook actions.
#[derive(Debug, Clone, Subcommand)]
pub enum HookAction {
    /// Write `.git/hooks/pre-commit` to run `cargo exemplar check` before every commit.
    Install(HookInstallArgs),
}

/// `cargo exemplar hook install`.
#[derive(Debug, Clone, Args)]
pub struct HookInstallArgs {
    /// Replace a pre-commit hook that exemplar did not write.
    #[arg(long, conflicts_with = "chain")]
    pub force: bool,
    /// Keep a pre-commit hook that exemplar did not write, and run it first.
    #[arg(long)]
    pub chain: bool,
    /// The command the hook runs (default: `cargo exemplar check`).
    #[arg(long, value_name = "CMD", default_value = "cargo exemplar check")]
    pub command: String,
    /// The repository (default: the one containing the current folder).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
}

/// Where the journal is, and how to print. Global, so that `journal verify --message-format
/// json` works as well as `journal --message-format json verify`.
#[derive(Debug, Clone, Args)]
pub struct JournalArgs {
    /// The journal folder (default: .exemplar/ at the workspace root).
    #[arg(long, value_name = "DIR", env = "EXEMPLAR_JOURNAL", global = true)]
    pub journal: Option<PathBuf>,
    /// Path to Cargo.toml (to find the workspace root).
    #[arg(long, value_name = "PATH", global = true)]
    pub manifest_path: Option<PathBuf>,
    /// human or json.
    #[arg(long, value_name = "FMT", default_value = "human", global = true)]
    pub message_format: MessageFormat,
}

/// `cargo exemplar status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Journal and output.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// A run id (or prefix, or `latest`), a time (RFC 3339, `2025-12-01 21:00`, `21:00`, `9pm`)
    /// or a commit: what did we believe then?
    #[arg(long, value_name = "RUN|TIME|COMMIT")]
    pub at: Option<String>,
}

/// How `next` and `explain` judge where a loss is heading.
#[derive(Debug, Clone, Copy, Args)]
pub struct ConvergenceArgs {
    /// How many of the latest runs that measured a directive to look back on.
    #[arg(long, value_name = "RUNS", default_value_t = 5)]
    pub window: usize,
    /// Loss changes at most this large count as no change (and a loss this small as 0).
    #[arg(long, value_name = "LOSS", default_value_t = 0.001)]
    pub tolerance: f64,
}

/// `cargo exemplar next`.
#[derive(Debug, Clone, Args)]
pub struct NextArgs {
    /// Journal and output.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// Window and tolerance.
    #[command(flatten)]
    pub convergence: ConvergenceArgs,
}

/// `cargo exemplar explain`.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The directive: `S3`, or `MISSION/S3`.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Journal and output.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// Window and tolerance.
    #[command(flatten)]
    pub convergence: ConvergenceArgs,
}

/// `cargo exemplar history`.
#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// A directive id (S1) or a test (its name or ref); nothing lists the runs.
    pub target: Option<String>,
    /// Journal and output.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// Only history up to this run, time or commit.
    #[arg(long, value_name = "RUN|TIME|COMMIT")]
    pub at: Option<String>,
}

/// `cargo exemplar show`.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// A run id, a unique prefix of one, or `latest`.
    pub run: String,
    /// Journal and output.
    #[command(flatten)]
    pub journal: JournalArgs,
}

/// `cargo exemplar diff`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The earlier run (a run id, a unique prefix, `latest` or `latest~N`). With one run,
    /// that run is compared with the one before it; with none, the latest with the one before.
    pub run_a: Option<String>,
    /// The later run.
    pub run_b: Option<String>,
    /// Journal and output.
    #[command(flatten)]
    pub journal: JournalArgs,
}

/// `cargo exemplar merge-driver`, as git calls it (`%O %A %B %P`).
#[derive(Debug, Clone, Args)]
pub struct MergeDriverArgs {
    /// The common ancestor's version.
    pub base: PathBuf,
    /// Ours: the merged file is written here.
    pub ours: PathBuf,
    /// Theirs.
    pub theirs: PathBuf,
    /// The file's path in the repository, for messages.
    pub path: Option<String>,
}

/// `cargo exemplar merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' run group (default: that of the latest shard run in the journal).
    #[arg(long, value_name = "GROUP")]
    pub run_group: Option<String>,
    /// Path to Cargo.toml (default: the package or workspace in the current folder).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Do not rewrite the mission files.
    #[arg(long)]
    pub no_rewrite: bool,
    /// A note for the history entry the merged run adds.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Gate the merged run as `check` gates a run: fail when an active directive's loss rose
    /// or a test that passed in the baseline fails now.
    #[arg(long)]
    pub check: bool,
    /// With --check: what to compare with (as `check --baseline`).
    #[arg(long, value_name = "RUN|COMMIT", requires = "check")]
    pub baseline: Option<String>,
    /// With --check: also fail when a mission's loss is above this (as `check --max-loss`).
    #[arg(long, value_name = "LOSS", requires = "check")]
    pub max_loss: Option<f64>,
    /// human or json.
    #[arg(long, value_name = "FMT", default_value = "human")]
    pub message_format: MessageFormat,
    /// The journal the shards' bundles were imported into (default: .exemplar/ at the
    /// workspace root).
    #[arg(long, value_name = "DIR", env = "EXEMPLAR_JOURNAL")]
    pub journal: Option<PathBuf>,
}

/// `cargo exemplar ingest`.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// A JUnit XML report (cargo-nextest, pytest --junitxml, gotestsum, jest-junit); repeat
    /// for more.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "pytest_reportlog"
    )]
    pub junit: Vec<PathBuf>,
    /// A pytest report-log (`pytest --report-log=FILE`); repeat for more.
    #[arg(long, value_name = "FILE")]
    pub pytest_reportlog: Vec<PathBuf>,
    /// A mission file outside any Cargo package (default: the mission.yaml of the current
    /// folder or one above it, else the Cargo workspace's missions).
    #[arg(long, value_name = "PATH")]
    pub mission: Option<PathBuf>,
    /// Where the tests' source files are, to read their @design markers (default: the
    /// mission's folder).
    #[arg(long, value_name = "DIR")]
    pub source_root: Option<PathBuf>,
    /// The reports hold the whole suite: a test of the mission's signal that they lack is
    /// gone (by default it keeps its evidence).
    #[arg(long)]
    pub complete: bool,
    /// Package(s) whose missions take the results (default: as `run`).
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    /// Every package of the workspace that has a mission file.
    #[arg(long)]
    pub workspace: bool,
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Do not rewrite the mission files.
    #[arg(long)]
    pub no_rewrite: bool,
    /// A note for the history entry.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Fail at once when another process holds the journal, instead of waiting.
    #[arg(long)]
    pub no_wait: bool,
    /// Gate the ingested run as `check` gates a run.
    #[arg(long)]
    pub check: bool,
    /// With --check: what to compare with (as `check --baseline`).
    #[arg(long, value_name = "RUN|COMMIT", requires = "check")]
    pub baseline: Option<String>,
    /// With --check: also fail when a mission's loss is above this (as `check --max-loss`).
    #[arg(long, value_name = "LOSS", requires = "check")]
    pub max_loss: Option<f64>,
    /// human or json.
    #[arg(long, value_name = "FMT", default_value = "human")]
    pub message_format: MessageFormat,
    /// The journal folder (default: .exemplar/ at the project root).
    #[arg(long, value_name = "DIR", env = "EXEMPLAR_JOURNAL")]
    pub journal: Option<PathBuf>,
}

/// The CI's own id of this pipeline run, for shards that do not say `--run-group`: GitHub
/// Actions (`GITHUB_RUN_ID`: a re-run of failed jobs keeps it, and `merge` takes the latest
/// run of each shard), GitLab (`CI_PIPELINE_ID`), Buildkite (`BUILDKITE_BUILD_ID`), CircleCI
/// (`CIRCLE_WORKFLOW_ID`).
pub fn ci_run_group() -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    [
        "GITHUB_RUN_ID",
        "CI_PIPELINE_ID",
        "BUILDKITE_BUILD_ID",
        "CIRCLE_WORKFLOW_ID",
    ]
    .into_iter()
    .find_map(var)
}

/// `cargo exemplar journal ...`.
#[derive(Debug, Clone, Args)]
pub struct JournalCommand {
    /// What to do.
    #[command(subcommand)]
    pub action: JournalAction,
    /// Journal and output.
    #[command(flatten)]
    pub journal: JournalArgs,
}

/// Journal maintenance.
#[derive(Debug, Clone, Subcommand)]
pub enum JournalAction {
    /// Check every checksum of every segment; print counts.
    Verify,
    /// Move damaged segments aside, keeping every valid record; rebuild the index.
    Repair,
    /// Delete the index and rebuild it from the write-ahead log.
    RebuildIndex,
    /// Write runs (all, or each --run) to one self-checking file, to carry them to another
    /// journal (a CI shard's runs to the job that merges).
    Export {
        /// The bundle to write.
        file: PathBuf,
        /// A run to write (id, prefix or `latest`); repeat for more (default: every run).
        #[arg(long = "run", value_name = "RUN")]
        runs: Vec<String>,
    },
    /// Append the runs of a bundle that this journal does not have yet; a damaged or newer
    /// bundle is refused whole, with its offset.
    Import {
        /// The bundle to read.
        file: PathBuf,
    },
    /// Rewrite the log without the runs a retention lets go (default: the workspace's
    /// [workspace.metadata.exemplar.retention]); the latest run is always kept.
    Prune {
        /// Keep the latest N runs.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        keep_runs: Option<u64>,
        /// Let go the runs started longer ago than AGE (`90d`, `12h`, `2 weeks`, `P90D`).
        #[arg(long, value_name = "AGE", value_parser = exemplar_runner::retention::parse_age)]
        older_than: Option<jiff::Span>,
        /// Only say which runs would go.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum MessageFormat {
    /// A table for people.
    #[default]
    Human,
    /// One JSON document on stdout, for agents and scripts.
    Json,
}

/// Output format of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum RunFormat {
    /// A progress bar, then a table, for people.
    #[default]
    Human,
    /// One JSON document on stdout at the end, for agents and scripts.
    Json,
    /// One JSON event per line on stdout as the run goes (`exemplar-events`), the document
    /// last, for tools that watch a run.
    JsonStream,
}

impl RunFormat {
    /// The format of a command that prints one document at its end (`json-stream`: json).
    pub fn document(self) -> MessageFormat {
        match self {
            RunFormat::Human => MessageFormat::Human,
            RunFormat::Json | RunFormat::JsonStream => MessageFormat::Json,
        }
    }
}

/// Which packages and how to build them; forwarded to cargo.
#[derive(Debug, Clone, Args, Default)]
pub struct Selection {
    /// Which packages.
    #[command(flatten)]
    pub missions: MissionSelection,
    /// Space or comma separated features to activate.
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Activate all available features.
    #[arg(long)]
    pub all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long)]
    pub no_default_features: bool,
    /// Build in release mode.
    #[arg(short = 'r', long)]
    pub release: bool,
    /// With --workspace: leave out this package (repeatable).
    #[arg(long, value_name = "SPEC", requires = "workspace")]
    pub exclude: Vec<String>,
    /// Only the library's unit tests.
    #[arg(long)]
    pub lib: bool,
    /// Only the binaries' unit tests.
    #[arg(long)]
    pub bins: bool,
    /// Only this integration test target (repeatable).
    #[arg(long = "test", value_name = "NAME")]
    pub tests: Vec<String>,
    /// Build for the target triple (passed to cargo).
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Build with this profile (passed to cargo).
    #[arg(long, value_name = "NAME", conflicts_with = "release")]
    pub profile: Option<String>,
    /// Directory for all generated artifacts (passed to cargo).
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Require Cargo.lock to be up to date (passed to cargo).
    #[arg(long)]
    pub locked: bool,
    /// Run without accessing the network (passed to cargo).
    #[arg(long)]
    pub offline: bool,
    /// Require Cargo.lock and the cache to be up to date (passed to cargo).
    #[arg(long)]
    pub frozen: bool,
    /// How many jobs cargo builds with (cargo's `--jobs`).
    #[arg(long, value_name = "N")]
    pub build_jobs: Option<u32>,
    /// No progress output and no build messages (passed to cargo); the results still print.
    #[arg(short = 'q', long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// A line for every test as it ends; `-vv` also makes cargo very verbose (passed to cargo).
    #[arg(short = 'v', long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Selection {
    /// How much to say while working.
    pub fn verbosity(&self) -> crate::style::Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => crate::style::Verbosity::Quiet,
            (false, 0) => crate::style::Verbosity::Normal,
            (false, _) => crate::style::Verbosity::Verbose,
        }
    }
}

/// `cargo exemplar list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Packages and build options.
    #[command(flatten)]
    pub selection: Selection,
    /// Show as filtered the tests not linked to these directives (and their subtrees).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub design: Vec<String>,
    /// human or json.
    #[arg(long, value_name = "FMT", default_value = "human")]
    pub message_format: MessageFormat,
    /// Show the tests of the other shards as such: hash:K/N, count:K/N or slice:K/N, as
    /// `run --partition`.
    #[arg(long, value_name = "KIND:K/N")]
    pub partition: Option<exemplar_runner::Partition>,
    /// Harness arguments that choose tests (filters, --exact, --skip, --ignored,
    /// --include-ignored), as `run` would pass them.
    #[arg(last = true, value_name = "HARNESS ARGS")]
    pub harness_args: Vec<String>,
}

impl From<&RunArgs> for ListArgs {
    /// `run ARGS -- --list`: the listing that run would have started from.
    fn from(run: &RunArgs) -> ListArgs {
        ListArgs {
            selection: run.selection.clone(),
            design: run.design.clone(),
            message_format: run.message_format.document(),
            partition: run.partition,
            harness_args: run.harness_args.clone(),
        }
    }
}

/// `cargo exemplar run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Packages and build options.
    #[command(flatten)]
    pub selection: Selection,
    /// Run only the tests linked to these directives (and their subtrees), e.g. S1,S3.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub design: Vec<String>,
    /// Run the tests linked to the directives whose text changed since REV (default HEAD),
    /// and their subtrees: "I edited the design; show me its signal".
    #[arg(long, value_name = "REV", num_args = 0..=1, default_missing_value = "HEAD")]
    pub changed: Option<String>,
    /// Run each test in its own process (slower; captures each test's output).
    #[arg(long)]
    pub isolate: bool,
    /// How many tests run at once (default: the cores; the same as `-- --test-threads N`).
    #[arg(short = 'j', long = "test-threads", value_name = "N")]
    pub test_threads: Option<u32>,
    /// Run a test that failed, crashed or timed out again, alone in a fresh process, up to N
    /// times; one that then passes is `flaky` (never clean evidence for its directives)
    /// (default: the package's `[package.metadata.exemplar] retries`, else 0).
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Tell of a test still running after SECS seconds, and again at each multiple (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub slow_timeout: f64,
    /// Run what the latest run left outstanding: its failing tests and those it never ran,
    /// with its packages, directives, targets and filters (exit 6 while some remain).
    #[arg(long, conflicts_with_all = ["design", "changed"])]
    pub rerun_failed: bool,
    /// Run one shard of the suite, as nextest deals them: hash:K/N (by test name), count:K/N
    /// (round robin in each binary) or slice:K/N (round robin over the whole run). The other
    /// shards' tests are recorded as such; a shard does not rewrite the mission files.
    #[arg(long, value_name = "KIND:K/N")]
    pub partition: Option<exemplar_runner::Partition>,
    /// With --partition: the CI run the shard belongs to, so that `merge` finds its shards
    /// (default: the CI's pipeline id: GITHUB_RUN_ID, CI_PIPELINE_ID, BUILDKITE_BUILD_ID,
    /// CIRCLE_WORKFLOW_ID).
    #[arg(long, value_name = "GROUP", requires = "partition")]
    pub run_group: Option<String>,
    /// Start no test after one has failed (after its retries); the tests left are shown as
    /// not run, and keep their directives' evidence as it was.
    #[arg(long, overrides_with = "no_fail_fast")]
    pub fail_fast: bool,
    /// Run every planned test whatever fails, so every directive gets its loss (the default).
    #[arg(long, overrides_with = "fail_fast")]
    pub no_fail_fast: bool,
    /// Whether a flaky test fails the run: pass (the default, as nextest) or fail.
    #[arg(long, value_name = "POLICY", default_value = "pass")]
    pub flaky_result: FlakyResult,
    /// Let the tests' output through as it comes, running one test at a time (also
    /// `-- --nocapture`); the output is then not captured.
    #[arg(long, alias = "nocapture")]
    pub no_capture: bool,
    /// Kill a test that runs longer than this many seconds and record it `timeout`.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Do not rewrite the mission files.
    #[arg(long)]
    pub no_rewrite: bool,
    /// A note for the history entry this run adds.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// human, json (one document at the end) or json-stream (one event per line as the run
    /// goes, the document last).
    #[arg(long, value_name = "FMT", default_value = "human")]
    pub message_format: RunFormat,
    /// The journal folder (default: .exemplar/ at the workspace root).
    #[arg(long, value_name = "DIR", env = "EXEMPLAR_JOURNAL")]
    pub journal: Option<PathBuf>,
    /// Do not record the run in the journal.
    #[arg(long, conflicts_with = "journal")]
    pub no_journal: bool,
    /// Fail at once, instead of waiting, when another run is writing the journal.
    #[arg(long)]
    pub no_wait: bool,
    /// Arguments after `--` go to the test harness (filters, --exact, --skip, --include-ignored,
    /// --test-threads).
    #[arg(last = true, value_name = "HARNESS ARGS")]
    pub harness_args: Vec<String>,
}

impl From<&Selection> for exemplar_runner::Selection {
    fn from(s: &Selection) -> exemplar_runner::Selection {
        exemplar_runner::Selection {
            features: s.features.clone(),
            all_features: s.all_features,
            no_default_features: s.no_default_features,
            release: s.release,
            exclude: s.exclude.clone(),
            targets: exemplar_runner::TargetFilter {
                lib: s.lib,
                bins: s.bins,
                tests: s.tests.clone(),
            },
            cargo: exemplar_runner::CargoFlags {
                target: s.target.clone(),
                profile: s.profile.clone(),
                target_dir: s.target_dir.clone(),
                locked: s.locked,
                offline: s.offline,
                frozen: s.frozen,
                quiet: s.quiet,
                verbose: s.verbose,
                build_jobs: s.build_jobs,
            },
            ..(&s.missions).into()
        }
    }
}

impl From<&ListArgs> for exemplar_runner::ListPlan {
    fn from(a: &ListArgs) -> exemplar_runner::ListPlan {
        exemplar_runner::ListPlan {
            selection: (&a.selection).into(),
            design: a.design.clone(),
            harness_args: a.harness_args.clone(),
            partition: a.partition,
        }
    }
}

impl RunArgs {
    /// The harness arguments, with `-j N` as `--test-threads N` unless they say it already.
    fn harness_args_with_threads(&self) -> Vec<String> {
        let mut args = self.harness_args.clone();
        let given = args
            .iter()
            .any(|a| a == "--test-threads" || a.starts_with("--test-threads="));
        if let Some(n) = self.test_threads
            && !given
        {
            args.extend(["--test-threads".to_owned(), n.to_string()]);
        }
        args
    }

    /// The runner's plan for these arguments.
    pub fn plan(&self) -> Result<exemplar_runner::RunPlan, crate::Error> {
        let timeout = match self.timeout {
            None => None,
            Some(t) => match std::time::Duration::try_from_secs_f64(t) {
                Ok(d) if !d.is_zero() => Some(d),
                _ => return Err(exemplar_runner::Error::BadTimeout(t).into()),
            },
        };
        let slow_timeout = match std::time::Duration::try_from_secs_f64(self.slow_timeout) {
            Ok(d) => Some(d).filter(|d| !d.is_zero()),
            Err(_) => {
                return Err(exemplar_runner::Error::BadSlowTimeout(self.slow_timeout).into());
            }
        };
        Ok(exemplar_runner::RunPlan {
            selection: (&self.selection).into(),
            design: self.design.clone(),
            changed_since: self.changed.clone(),
            isolate: self.isolate,
            fail_fast: self.fail_fast && !self.no_fail_fast,
            rerun_failed: self.rerun_failed,
            partition: self.partition,
            run_group: self.run_group.clone().or_else(ci_run_group),
            retries: self.retries,
            slow_timeout,
            flaky_fails: self.flaky_result == FlakyResult::Fail,
            no_capture: self.no_capture
                || self
                    .harness_args
                    .iter()
                    .any(|a| a == "--nocapture" || a == "--no-capture"),
            timeout,
            rewrite: !self.no_rewrite,
            note: self.note.clone(),
            journal: match (&self.journal, self.no_journal) {
                (_, true) => exemplar_runner::JournalChoice::Off,
                (Some(dir), false) => exemplar_runner::JournalChoice::At(dir.clone()),
                (None, false) => exemplar_runner::JournalChoice::Default,
            },
            wait: !self.no_wait,
            harness_args: self.harness_args_with_threads(),
        })
    }
}

/// `--flaky-result`: whether a flaky test fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FlakyResult {
    /// The run passes (its loss still counts the test as failing evidence).
    Pass,
    /// The run fails.
    Fail,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};

    fn plan(args: &[&str]) -> exemplar_runner::RunPlan {
        let cli = Cli::try_parse_from(["cargo-exemplar"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Run(run) => run.plan().unwrap(),
            _ => unreachable!("a run"),
        }
    }

    #[test]
    fn test_threads_become_the_harness_argument_and_build_jobs_cargo_s() {
        let p = plan(&["run", "-j", "3", "--build-jobs", "2", "--", "filter"]);
        assert_eq!(p.harness_args, ["filter", "--test-threads", "3"]);
        let cargo = p.selection.cargo.args();
        assert!(cargo.windows(2).any(|w| w == ["--jobs", "2"]), "{cargo:?}");
        let given = plan(&["run", "-j", "3", "--", "--test-threads", "1"]);
        assert_eq!(given.harness_args, ["--test-threads", "1"], "-- wins");
        assert!(
            !plan(&["run"])
                .selection
                .cargo
                .args()
                .contains(&"--jobs".to_owned())
        );
    }
}
