//! `cargo exemplar`, the command line: clap arguments become a plan of plain types for
//! [`exemplar_runner`], and the session it returns is rendered by the reporter the user chose.
//!
//! `main.rs` only parses the command line ([`cli`]) and maps errors to exit codes; the work is
//! here, a module per command or renderer:
//!
//! - [`run`], [`check`], [`list`]: the commands that build and run tests (through the runner);
//!   [`progress`] shows a run as it happens.
//! - [`render`]: a run as a loss table for people and a JSON document for agents.
//! - [`query`]: the commands that read the journal (status, history, show, diff, flaky).
//! - [`report`]: the `report` command: the journal as HTML, JUnit, JSON and Markdown.
//! - [`merge`] and [`ingest`]: runs made from shards and from other runners' reports.
//! - [`design`]: design patches and their lineage; [`mcp`]: the MCP server; [`watch`]: runs on each save.
//! - [`hook`]: the git hook that runs `check`; [`new`]: a project from a reference mission.
#![warn(missing_docs)]

pub mod check;
pub mod cli;
pub mod design;
mod errors;
pub mod hook;
pub mod ingest;
pub mod init;
pub mod list;
pub mod mcp;
pub mod merge;
pub mod merge_driver;
pub mod new;
pub mod progress;
pub mod query;
pub mod render;
pub mod report;
pub mod run;
pub mod schema;
pub mod style;
pub mod watch;

pub use errors::{Error, ExitCode};
