//! The typed, versioned documents of cargo exemplar, shared by the harness, the mission model,
//! the journal, the runner and every report.
//!
//! - [`Outcome`] and [`OutcomeCounts`]: how a test ended, and how many ended each way. One
//!   type everywhere: the harness protocol, the journal (as [`Outcome::code`]), the mission
//!   file's `signal:` and every report.
//! - [`design`]: a node's kind and status, a test's evidence, a change of the design.
//! - [`events`]: the protocol between a test binary's harness and the runner.
//! - [`links`]: the link records `#[design]` places in a test binary.
//! - [`TestRecord`]: one record per test, from the runner to the journal, the mission's signal
//!   and every report.
//! - The JSON documents, each versioned: [`run`] (`exemplar-run`), [`check`]
//!   (`exemplar-check`), [`list`] (`exemplar-list`), [`report`] (`exemplar-report`), and the
//!   journal's queries in [`journal`] (`exemplar-status`, `exemplar-runs`, `exemplar-show`,
//!   `exemplar-diff`, ...); what to work on next, [`next`] (`exemplar-next`,
//!   `exemplar-explain`); and the live event stream of a run, [`stream`]
//!   (`exemplar-events`); design patches and their log, [`patch`]
//!   (`exemplar-design-patch`, `exemplar-design-applied`, `exemplar-design-log`).
//!
//! Beyond its types, the crate holds only what reading them needs (parsing an event line,
//! a message's [`headline`], counting outcomes); it depends on serde and serde_json alone.
#![warn(missing_docs)]

pub mod check;
pub mod design;
pub mod events;
pub mod journal;
pub mod links;
pub mod list;
pub mod next;
mod outcome;
pub mod patch;
mod record;
pub mod report;
pub mod run;
pub mod stream;

pub use outcome::{Outcome, OutcomeCounts};
pub use record::{TestRecord, headline};
