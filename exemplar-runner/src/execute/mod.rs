//! The execute stage: running test binaries and reading what happened to each test.
//!
//! - [`binary`] runs one binary: it streams the harness's events, notices a process that died
//!   or a test past its timeout, records the culprit `crashed`/`timeout`, and re-runs the
//!   tests the dead process took down with it in fresh processes.
//! - [`libtest`] reads the per-test results of a default-harness binary.
//! - [`list`] asks a binary for its tests without running them.
//! - [`process`] is one process of a binary: its events file, its timeout, its output.

pub mod binary;
pub mod libtest;
pub mod list;
pub mod process;

pub use binary::{BinaryResult, ExecOptions, Finished, Progress, run_binary, scratch_dir};
pub use list::{Listing, list_binary};
