//! The durable signal journal of cargo exemplar.
//!
//! A journal is a folder (`.exemplar/` at the workspace root by default):
//!
//! - `wal/*.seg` — the write-ahead log, **the truth**: append-only segments of BLAKE3-checked,
//!   8-byte-aligned records ([`format`]), written by one [`writer`] at a time with group commit
//!   (one `write` and one `fdatasync` per batch; a record counts as durable only after its
//!   batch's fsync). On open, a torn tail is truncated and reported; damage followed by valid
//!   records is corruption, reported with segment and offset, never dropped in silence.
//! - `index.redb` — the [`index`], derived: runs, outcomes, loss per directive per run; caught
//!   up on open and rebuilt from the WAL whenever it is missing, damaged or outdated.
//! - `lock` — the writer [`lock`], with the holder's pid.
//!
//! Failure messages and captured output are stored once as content-addressed blobs. Runs move
//! between journals as [`bundle`]s; [`prune`] rewrites the log without the runs a retention
//! lets go.
//! [`query`] answers questions over the history: runs, a test's or a directive's history, the
//! state as of a run, a time or a commit, diffs, flaky tests.
#![warn(missing_docs)]

pub mod bundle;
mod errors;
pub mod format;
pub mod index;
pub mod journal;
pub mod lock;
pub mod prune;
pub mod query;
pub mod records;
pub mod segment;
pub mod wal;
pub mod writer;

pub use errors::{Result, StoreError, is_unwritable};
pub use index::{Index, RunRow, TableSize};
pub use journal::{JournalWriter, RepairReport, VerifyReport, open_index, repair, verify};
pub use lock::Contention;
pub use prune::{PruneReport, Retention};
pub use query::{At, LossPoint, RunDiff, TestPoint};
pub use records::Record;
pub use writer::WriterOptions;
