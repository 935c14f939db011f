//! The typed, versioned documents of cargo exemplar, shared by the harness, the mission model,
//! the journal, the runner and every report.
//!
//! - [`Outcome`] and [`OutcomeCounts`]: how a test ended, and how many ended each way. One
//!   type everywhere: the harness protocol, the journal (as [`Outcome::code`]), the mission
//!   file's `signal:` and every report.
//! - [`events`]: the protocol between a test binary's harness and the runner.
//! - [`TestRecord`]: one record per test, from the runner to the journal, the mission's signal
//!   and every report.
//! - [`list`]: the `exemplar-list` document.
//!
//! This crate has no logic beyond reading and writing its types; it depends only on serde.
#![warn(missing_docs)]

pub mod events;
pub mod list;
mod outcome;
mod record;

pub use outcome::{Outcome, OutcomeCounts};
pub use record::TestRecord;
