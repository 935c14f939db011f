//! The live event stream of `run --message-format json-stream` (`exemplar-events`, version
//! 1): one JSON object per line on stdout, each with an `event` field naming its kind, written
//! the moment the run gets there, for tools that watch a run.
//!
//! A stream begins with [`StreamEvent::RunStarted`], which carries the format and version,
//! and ends with [`StreamEvent::RunFinished`], which carries the same [`RunDocument`] that
//! `--message-format json` prints. Between them, for each binary: `binary-started` before
//! any of its tests, each test's `test-started` before its `test-finished` (tests of
//! different binaries interleave: they share one pool), and `binary-finished` once every
//! test it planned has ended. A record that changed after its `test-finished` (a retry that
//! turned a failure into a pass; a message or output that came later) follows as
//! `test-amended`, possibly after its binary's `binary-finished`. A stream without
//! `run-finished` was cut short.

use serde::{Deserialize, Serialize};

use crate::run::RunDocument;
use crate::{OutcomeCounts, TestRecord};

/// The stream's format name, in [`StreamEvent::RunStarted`].
pub const FORMAT: &str = "exemplar-events";
/// The stream's schema version, in [`StreamEvent::RunStarted`].
pub const VERSION: u32 = 1;

/// A test binary, as the events name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinaryRef {
    /// Its package.
    pub package: String,
    /// Its target's name (`kv`, or the crate's name for its unit tests).
    pub binary: String,
    /// The target's kind: `lib`, `test`, `bin`, ...
    pub kind: String,
}

/// One line of the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum StreamEvent {
    /// The first line.
    RunStarted {
        /// Always [`FORMAT`].
        format: String,
        /// [`VERSION`].
        version: u32,
    },
    /// A binary's tests are about to be dealt to the pool.
    BinaryStarted {
        /// The binary.
        #[serde(flatten)]
        binary: BinaryRef,
        /// How many of its tests will be reported (run, ignored or stranded).
        planned: u64,
    },
    /// A test started.
    TestStarted {
        /// Its binary's target name.
        binary: String,
        /// Its binary's kind (a library's unit tests and an integration test may share a name).
        kind: String,
        /// Its name, as its harness lists it.
        name: String,
    },
    /// A test has run longer than the slow threshold (again).
    TestSlow {
        /// Its binary's target name.
        binary: String,
        /// Its binary's kind.
        kind: String,
        /// Its name.
        name: String,
        /// How long it has run.
        seconds: f64,
    },
    /// A test ended: its record, as the journal and every report keep it.
    TestFinished {
        /// Its binary's kind (the record names the binary).
        kind: String,
        /// The record.
        record: TestRecord,
    },
    /// A test's record changed after it ended: its outcome (a retry passed: it is `flaky`), or
    /// its message or output, which may arrive later (libtest prints a failure's output at the
    /// end of its binary).
    TestAmended {
        /// Its binary's kind.
        kind: String,
        /// The record as it now stands.
        record: TestRecord,
    },
    /// Every test a binary planned has ended (or, with `--fail-fast`, the run stopped).
    BinaryFinished {
        /// The binary.
        #[serde(flatten)]
        binary: BinaryRef,
        /// How its tests ended.
        counts: OutcomeCounts,
    },
    /// Something the user should know and act on.
    Warning {
        /// What.
        message: String,
    },
    /// The last line: the run as `--message-format json` reports it.
    RunFinished {
        /// The run's document.
        document: Box<RunDocument>,
    },
}
