//! `cargo exemplar run`: execute the test binaries and turn their outcomes into signal.
//!
//! - [`exec`] runs one binary: it streams the harness's events, notices a process that died or
//!   a test past its timeout, records the culprit `crashed`/`timeout`, and re-runs the tests
//!   the dead process took down with it in fresh processes.
//! - [`sink`] is where every outcome goes the moment it arrives (the journal plugs in here).
//! - [`session`] is the whole command: discover, build, execute, loss, rewrite, report.
//! - [`progress`] shows it happening.

pub mod clock;
pub mod exec;
pub mod listing;
pub mod progress;
pub mod session;
pub mod sink;

pub use session::{Session, command, recorded};
pub use sink::{MemorySink, RunEnd, RunStart, Sink, TestRecord};
