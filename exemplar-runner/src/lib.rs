//! The runner of cargo exemplar, as a library that knows nothing of command lines or of how
//! results are printed.
//!
//! A caller builds a [`RunPlan`] of plain types and calls [`run`]; the run passes through
//! named stages, each its own module, and reports what happens to a [`Reporter`]:
//!
//! 1. [`discover`]: the packages with a mission file, the workspace root and the journal.
//! 2. [`build`]: `cargo test --no-run`, and the test binaries it built.
//! 3. [`execute`]: every binary's tests, streaming one [`TestRecord`] per test as it ends.
//! 4. [`journal`]: each record appended to the signal journal the moment it arrives.
//! 5. [`signal`]: the loss of every directive, and the rewrite of each mission file.
//!
//! [`session`] chains the stages and folds the records into a [`Session`], which renderers
//! (a table, JSON, JUnit, HTML) consume. [`gate`] compares a session with a baseline for
//! `check`; [`listing`] lists tests without running them; [`rerun`] finds what the latest run
//! left outstanding (`run --rerun-failed`); [`partition`] deals a run's tests to the shards of
//! a CI matrix (`run --partition`), and [`merge`] makes them one run again.
#![warn(missing_docs)]

pub mod build;
pub mod changed;
pub mod clock;
pub mod discover;
mod errors;
pub mod execute;
mod execution;
pub mod gate;
pub mod git;
pub mod groups;
pub mod ingest;
pub mod journal;
pub mod listing;
mod made;
pub mod merge;
pub mod partition;
pub mod plan;
mod records;
pub mod reporter;
pub mod rerun;
pub mod retention;
pub mod rows;
pub mod session;
pub mod signal;
pub mod standalone;

pub use errors::{Error, PartitionError};
pub use exemplar_formats::TestRecord;
pub use groups::TestGroup;
pub use partition::{Partition, PartitionKind};
pub use plan::{CargoFlags, JournalChoice, ListPlan, RunPlan, Selection, TargetFilter};
pub use reporter::{NoReporter, Reporter, RunEvent};
pub use session::{MissionResult, Session, run};
