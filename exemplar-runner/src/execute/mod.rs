//! The execute stage: running test binaries and reading what happened to each test.
//!
//! - [`binary`] runs one binary: it streams the harness's events, notices a process that died
//!   or a test past its timeout, records the culprit `crashed`/`timeout`, and re-runs the
//!   tests the dead process took down with it in fresh processes.
//! - [`libtest`] reads libtest's start lines, verdicts and panic reports; `libtest_stream`
//!   follows one worker's output as it comes (`pipe` reads it), `libtest_process` one worker process of a
//!   default-harness binary, and `workers` runs every binary's tests in one pool of worker processes, which
//!   `schedule` feeds (test groups, `--fail-fast`).
//! - [`links`] reads the link records a binary carries.
//! - `retry` runs failing tests again (`--retries`) and tells the flaky ones.
//! - [`output`] shows what a process printed, and how it ended, for people.
//! - [`list`] asks a binary for its tests without running them: its inventory.
//! - [`strays`] finds the `#[test]` functions of `harness = false` targets, which nothing runs.
//! - [`process`] is one process of a binary: its events file, its timeout, its output.

pub mod binary;
pub mod libtest;
mod libtest_process;
mod libtest_stream;
pub mod links;
pub mod list;
pub mod output;
mod pipe;
pub mod process;
mod retry;
pub(crate) mod schedule;
pub mod strays;
pub(crate) mod workers;

pub use binary::{ExecOptions, Finished, Progress, run_binary, scratch_dir};
pub use list::{Harness, Inventory, Listing, list_binary};
