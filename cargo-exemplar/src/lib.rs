//! The `cargo exemplar` command: discover → build → run → journal → loss → rewrite → report.
//!
//! `main.rs` only parses the command line ([`cli`]) and maps errors to exit codes; the work is
//! here, in modules a reader can take one at a time:
//!
//! - [`workspace`]: which packages have a mission file (cargo_metadata).
//! - [`compile`]: `cargo test --no-run --message-format=json`, and the test binaries it built.
//! - [`run`]: running each binary, streaming its events, recovering from crashes and timeouts,
//!   and handing every outcome to a [`run::Sink`] as it arrives.
//! - [`report`]: the loss table for people and the JSON document for agents.
//! - [`journal`]: where the signal journal lives, and the sink that streams a run into it.
//! - [`query`]: the commands that read the journal (status, history, show, diff, flaky).
//! - [`check`]: the pre-commit gate, and [`hook`]: the git hook that runs it.
//! - [`history_report`]: `report`, the journal as HTML, JUnit, JSON and Markdown.
//! - [`git`]: the commit a run is tied to.
//! - [`list`]: every test, its directives, and whether a run would run it.
//! - [`new`]: a new project started from a bundled reference mission.
#![warn(missing_docs)]

pub mod check;
pub mod cli;
pub mod compile;
mod errors;
pub mod git;
pub mod history_report;
pub mod hook;
pub mod journal;
pub mod list;
pub mod new;
pub mod query;
pub mod report;
pub mod run;
pub mod style;
pub mod workspace;

pub use errors::{Error, ExitCode};
