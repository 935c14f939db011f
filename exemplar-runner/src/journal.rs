//! The journal stage: where the signal journal lives, and the recorder that streams a run into
//! it.
//!
//! The journal is `--journal DIR`, else `EXEMPLAR_JOURNAL`, else `.exemplar/` at the workspace
//! root ([`location`], the one place every command finds it). A run opens it as the single
//! writer (waiting while another run holds it, or failing at once), and the [`Recorder`]
//! appends the run's start record, each test's record the moment it ends (failure messages and
//! captured output as content-addressed blobs), and the run's end record; closing waits until
//! all of it is durable.
//!
//! A run in which no test executes writes nothing: the start record is held back until the
//! first test that executed, and ignored tests' records wait with it.

use std::path::{Path, PathBuf};

use exemplar_formats::{Outcome, TestRecord};
use exemplar_store::records::{RunEnd, RunStart, TestDef, TestResult};
use exemplar_store::{Contention, JournalWriter, Record, WriterOptions};
use minicbor::bytes::ByteArray;

use crate::errors::Error;
use crate::plan::JournalChoice;

/// The journal folder: the chosen one, else `EXEMPLAR_JOURNAL`, else `.exemplar/` in `root`.
/// `None` when the run is not to be recorded.
pub fn location(choice: &JournalChoice, root: &Path) -> Option<PathBuf> {
    match choice {
        JournalChoice::Off => None,
        JournalChoice::At(dir) => Some(dir.clone()),
        JournalChoice::Default => Some(
            std::env::var_os("EXEMPLAR_JOURNAL")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join(".exemplar")),
        ),
    }
}

/// How long each test took when it last ran: (binary, name) → seconds.
pub type Durations = std::collections::HashMap<(String, String), f64>;

/// How long each test took in the journal's latest complete run (among its last three runs).
/// Empty without a journal or when it cannot be read: the durations only order the run.
pub fn durations(dir: &Path) -> Durations {
    let mut out = Durations::new();
    if !dir.join("wal").is_dir() {
        return out;
    }
    let Ok(index) = exemplar_store::open_index(dir) else {
        return out;
    };
    for (binary, reference, seconds) in index.latest_durations(3).unwrap_or_default() {
        let name = reference.split_once("::").map_or("", |(_, n)| n);
        out.insert((binary, name.to_owned()), seconds);
    }
    out
}

/// Streams one run into the journal (or nowhere, for a run that is not recorded).
pub struct Recorder {
    writer: Option<JournalWriter>,
    start: Option<RunStart>,
    /// The design snapshots the start names, written just before it.
    designs: Vec<Vec<u8>>,
    held: Vec<TestRecord>,
    begun: bool,
    /// Tests dealt to other shards, written with the run's end.
    other_shards: Vec<TestDef>,
}

/// The journal is this machine's history, never committed: its folder ignores itself, as
/// cargo's target folder does (a `.gitignore` of `*`, written once).
pub fn ignore_itself(dir: &Path) {
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        let _ = std::fs::write(&ignore, "# the signal journal of cargo exemplar\n*\n");
    }
}

impl Recorder {
    /// Open the journal at `dir` as its writer; `on_wait` hears of another writer's lock
    /// (what its lock file says of it) while this one waits.
    pub fn open(dir: &Path, wait: bool, on_wait: &mut dyn FnMut(&str)) -> Result<Recorder, Error> {
        let contention = if wait {
            Contention::Wait
        } else {
            Contention::Fail
        };
        let writer = JournalWriter::open(dir, contention, WriterOptions::default(), on_wait)?;
        ignore_itself(dir);
        Ok(Recorder {
            writer: Some(writer),
            ..Recorder::nowhere()
        })
    }

    /// A recorder that writes nothing (the run is not journaled).
    pub fn nowhere() -> Recorder {
        Recorder {
            writer: None,
            start: None,
            designs: Vec::new(),
            held: Vec::new(),
            begun: false,
            other_shards: Vec::new(),
        }
    }

    /// What opening the journal recovered from, for a note to the user.
    pub fn recovery_note(&self) -> Option<String> {
        let w = self.writer.as_ref()?;
        w.recovery.truncated.as_ref().map(|(path, offset, bytes, reason)| {
            format!(
                "the journal's last write was cut short ({reason}); dropped {bytes} bytes at offset {offset} of {}",
                path.display()
            )
        })
    }

    /// The run begins; its start is written with the first test that executes, after the
    /// blobs of the designs it names.
    pub fn begin(&mut self, start: RunStart, designs: Vec<Vec<u8>>) {
        self.start = Some(start);
        self.designs = designs;
    }

    /// A test ended: append its record (the run's start first, when this is the first test
    /// that executed).
    pub fn record(&mut self, test: &TestRecord) -> Result<(), Error> {
        if !self.begun {
            match test.outcome {
                None => return Ok(()),
                Some(Outcome::Ignored) => {
                    self.held.push(test.clone());
                    return Ok(());
                }
                Some(_) => self.begin_now()?,
            }
        }
        self.append_outcome(test)
    }

    /// Record the run even if no test executes: a shard of a partitioned run may hold none
    /// of the suite's tests, and its merge needs every shard.
    pub fn begin_now(&mut self) -> Result<(), Error> {
        if self.begun {
            return Ok(());
        }
        self.begun = true;
        if let (Some(w), Some(start)) = (&mut self.writer, self.start.take()) {
            for design in std::mem::take(&mut self.designs) {
                w.put_blob(&design)?;
            }
            w.append(&Record::RunStart(start))?;
        }
        for held in std::mem::take(&mut self.held) {
            self.append_outcome(&held)?;
        }
        Ok(())
    }

    fn append_outcome(&mut self, t: &TestRecord) -> Result<(), Error> {
        let (Some(w), Some(outcome)) = (&mut self.writer, t.outcome) else {
            return Ok(());
        };
        let mut blob = |text: &Option<String>| -> Result<_, Error> {
            Ok(match text {
                Some(s) if !s.is_empty() => Some(ByteArray::from(w.put_blob(s.as_bytes())?)),
                _ => None,
            })
        };
        let test = TestDef::id_of(&t.mission, &t.reference, &t.binary, t.line, &t.ids);
        let result = TestResult {
            test,
            outcome: outcome.code(),
            duration: t.duration,
            message: blob(&t.message)?,
            output: blob(&t.output)?,
        };
        w.append_result(&result, || {
            TestDef::new(&t.mission, &t.reference, &t.binary, t.line, &t.ids)
        })?;
        Ok(())
    }

    /// Whether a test has executed (and so the run is recorded).
    pub fn begun(&self) -> bool {
        self.begun
    }

    /// A test of the run that `--partition` dealt to another shard: part of the run's
    /// inventory, written with its end.
    pub fn in_other_shard(&mut self, t: &TestRecord) -> Result<(), Error> {
        if self.writer.is_some() {
            let def = TestDef::new(&t.mission, &t.reference, &t.binary, t.line, &t.ids);
            self.other_shards.push(def);
        }
        Ok(())
    }

    /// The run ended: write its end record, when it began, and wait for durability.
    pub fn end(&mut self, mut end: RunEnd) -> Result<(), Error> {
        if let (true, Some(w)) = (self.begun, &mut self.writer) {
            for def in std::mem::take(&mut self.other_shards) {
                end.other_shards.push(def.id);
                w.define_test(def)?;
            }
            w.append(&Record::RunEnd(end))?;
            w.flush()?;
        }
        Ok(())
    }

    /// Stop the writer and update the index.
    pub fn close(mut self) -> Result<(), Error> {
        if let Some(w) = self.writer.take() {
            w.close()?;
        }
        Ok(())
    }
}
