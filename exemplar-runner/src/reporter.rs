//! What a run tells its caller while it happens. The runner prints nothing: a command line
//! shows these events as a progress bar, an agent may log them, a test may ignore them.

use std::path::Path;

use exemplar_formats::run::SkippedPackage;

use crate::build::TestBinary;
use exemplar_formats::{OutcomeCounts, TestRecord};

/// One thing that happened during a run.
#[derive(Debug)]
pub enum RunEvent<'a> {
    /// Selected packages without a mission file.
    Skipping {
        /// The packages, and the paths looked for.
        packages: &'a [SkippedPackage],
        /// The workspace root, which those paths are best shown relative to.
        root: &'a Path,
    },
    /// Another run holds the journal; this one waits for it.
    WaitingForJournal {
        /// The journal folder.
        dir: &'a Path,
        /// What the lock file says of its holder.
        holder: &'a str,
    },
    /// Opening the journal repaired a write that an earlier run left cut short.
    RecoveredJournal(&'a str),
    /// Something the user should know and act on (a harness of another version).
    Warning(&'a str),
    /// `--changed`: the directives that changed since the revision (empty: none did).
    Changed {
        /// The revision.
        since: &'a str,
        /// Their ids.
        ids: &'a [String],
    },
    /// A test binary starts.
    BinaryStarted(&'a TestBinary),
    /// A binary listed this many tests that will run or be reported.
    Planned(u64),
    /// A test started.
    TestStarted {
        /// Its binary.
        binary: &'a TestBinary,
        /// Its name.
        name: &'a str,
    },
    /// A test ended.
    TestFinished {
        /// Its binary.
        binary: &'a TestBinary,
        /// Its record.
        record: &'a TestRecord,
    },
    /// A test has run longer than the slow threshold (again).
    TestSlow {
        /// Its binary.
        binary: &'a TestBinary,
        /// Its name.
        name: &'a str,
        /// How long it has run, in seconds.
        seconds: f64,
    },
    /// A test's outcome changed after it ended: a retry passed, and it is `flaky`.
    TestAmended {
        /// Its binary.
        binary: &'a TestBinary,
        /// Its record as it now stands.
        record: &'a TestRecord,
    },
    /// A test's message or output arrived after it ended (libtest prints a failure's output
    /// at the end of its binary; a failure's output may be captured by running it alone).
    TestUpdated {
        /// Its binary.
        binary: &'a TestBinary,
        /// Its record as it now stands.
        record: &'a TestRecord,
    },
    /// Every test a binary planned has ended (or `--fail-fast` stopped the run before).
    BinaryFinished {
        /// The binary.
        binary: &'a TestBinary,
        /// How its tests ended.
        counts: &'a OutcomeCounts,
    },
    /// Every binary has run.
    Executed,
}

/// Receives a run's events.
pub trait Reporter {
    /// Something happened.
    fn report(&mut self, event: RunEvent<'_>);
}

/// A reporter that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoReporter;

impl Reporter for NoReporter {
    fn report(&mut self, _: RunEvent<'_>) {}
}
