//! The sink: where a run's records go as they happen.
//!
//! The runner calls [`Sink::begin`] once, [`Sink::record`] for each test outcome the moment it
//! is known (before the next test's outcome is read), and [`Sink::end`] when the run finishes.
//! A run that stops early simply never calls `end`.

use exemplar_formats::{Outcome, OutcomeCounts};
use serde::Serialize;

/// The error type of sinks.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// A mission's design at the start of a run.
#[derive(Debug, Clone, Serialize)]
pub struct MissionStamp {
    /// Mission id.
    pub id: String,
    /// Package.
    pub package: String,
    /// Node id → full fingerprint (hex).
    pub fingerprints: Vec<(String, String)>,
}

/// The beginning of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunStart {
    /// Unique id of the run.
    pub run_id: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// `1a2b3c4` or `1a2b3c4+dirty`.
    pub commit: Option<String>,
    /// The missions taking part.
    pub missions: Vec<MissionStamp>,
    /// `--note`.
    pub note: Option<String>,
}

/// One test outcome.
#[derive(Debug, Clone, Serialize)]
pub struct TestRecord {
    /// The run it belongs to.
    pub run_id: String,
    /// Package.
    pub package: String,
    /// Mission id.
    pub mission: String,
    /// Test target (binary) name.
    pub binary: String,
    /// libtest name.
    pub name: String,
    /// `tests/kv.rs::wal_ordering`.
    pub reference: String,
    /// Source file, relative to the package.
    pub file: String,
    /// Line of the function.
    pub line: u32,
    /// Design ids.
    pub ids: Vec<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// Seconds.
    pub duration: f64,
    /// Failure message.
    pub message: Option<String>,
    /// Captured output (with `--isolate`, or of a crashed process).
    pub output: Option<String>,
}

/// Loss of one mission at the end of a run.
#[derive(Debug, Clone, Serialize)]
pub struct MissionLoss {
    /// Mission id.
    pub id: String,
    /// Mission loss.
    pub loss: f64,
    /// Direct loss per measured node.
    pub nodes: Vec<(String, f64)>,
}

/// The end of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunEnd {
    /// The run.
    pub run_id: String,
    /// RFC 3339 UTC.
    pub ended_at: String,
    /// Counts by outcome.
    pub counts: OutcomeCounts,
    /// Loss per mission.
    pub missions: Vec<MissionLoss>,
}

/// Receives a run's records as they happen.
pub trait Sink {
    /// The run begins.
    fn begin(&mut self, start: &RunStart) -> Result<(), SinkError>;
    /// A test outcome is known.
    fn record(&mut self, record: &TestRecord) -> Result<(), SinkError>;
    /// The run ended.
    fn end(&mut self, end: &RunEnd) -> Result<(), SinkError>;
}

/// A sink that keeps everything in memory (tests, and runs without a journal).
#[derive(Debug, Default)]
pub struct MemorySink {
    /// The start record.
    pub start: Option<RunStart>,
    /// Every record, in arrival order.
    pub records: Vec<TestRecord>,
    /// The end record.
    pub end: Option<RunEnd>,
}

impl Sink for MemorySink {
    fn begin(&mut self, start: &RunStart) -> Result<(), SinkError> {
        self.start = Some(start.clone());
        Ok(())
    }
    fn record(&mut self, record: &TestRecord) -> Result<(), SinkError> {
        self.records.push(record.clone());
        Ok(())
    }
    fn end(&mut self, end: &RunEnd) -> Result<(), SinkError> {
        self.end = Some(end.clone());
        Ok(())
    }
}

/// Holds a run's start back until a test has executed, so a run that executes no test (a
/// filter that matches nothing, `--ignored` with no ignored test) leaves the sink untouched.
/// Ignored tests' records wait with the start.
pub struct Deferred<'a> {
    sink: &'a mut dyn Sink,
    start: RunStart,
    held: Vec<TestRecord>,
    begun: bool,
}

impl<'a> Deferred<'a> {
    /// Wrap `sink`; `start` is passed on before the first executed test's record.
    pub fn new(sink: &'a mut dyn Sink, start: RunStart) -> Deferred<'a> {
        Deferred {
            sink,
            start,
            held: Vec::new(),
            begun: false,
        }
    }

    /// A test outcome is known.
    pub fn record(&mut self, record: &TestRecord) -> Result<(), SinkError> {
        if !self.begun {
            if record.outcome == Outcome::Ignored {
                self.held.push(record.clone());
                return Ok(());
            }
            self.sink.begin(&self.start)?;
            self.begun = true;
            for held in std::mem::take(&mut self.held) {
                self.sink.record(&held)?;
            }
        }
        self.sink.record(record)
    }

    /// Whether any test executed (and so the run was passed on).
    pub fn begun(&self) -> bool {
        self.begun
    }

    /// The run ended: passed on only when it began.
    pub fn end(&mut self, end: &RunEnd) -> Result<(), SinkError> {
        if self.begun {
            self.sink.end(end)?;
        }
        Ok(())
    }
}
