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
//!
//! A write the disk refuses stops the recording, not the run (see [`Recorder`]).

use std::path::{Path, PathBuf};

use exemplar_formats::run::{Unrecorded, WritePlace};
use exemplar_formats::{Outcome, TestRecord};
use exemplar_store::records::{RunEnd, RunStart, TestDef, TestResult};
use exemplar_store::{Contention, JournalWriter, Record, StoreError, WriterOptions};
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
///
/// A write the journal refuses — a full or read-only disk — stops the recording, never the
/// run: the tests go on and are shown, the run's records before the failure stay in the log
/// (a run cut short, as if killed), and [`Recorder::close`] says what was not recorded.
pub struct Recorder {
    writer: Option<JournalWriter>,
    /// The journal folder (also when opening it failed).
    dir: Option<PathBuf>,
    start: Option<RunStart>,
    /// The design snapshots the start names, written just before it.
    designs: Vec<Vec<u8>>,
    held: Vec<TestRecord>,
    begun: bool,
    /// Tests dealt to other shards, written with the run's end.
    other_shards: Vec<TestDef>,
    /// The log sequence number of the run's start, of each outcome appended, and the count
    /// of outcomes never appended.
    start_seq: Option<u64>,
    appended: Vec<u64>,
    dropped: u64,
    /// The write that stopped the recording.
    stopped: Option<Stopped>,
}

/// Why and when the recording stopped.
struct Stopped {
    error: String,
    /// Outcomes the log is sure to hold (durable before the failure).
    recorded: u64,
    /// Whether the run's start was durable in the log before the failure.
    started: bool,
    /// Whether the run's start was handed to the log at all.
    handed: bool,
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
    /// (what its lock file says of it) while this one waits. A journal the disk will not let
    /// this write (full, read-only) gives a recorder that records nothing and says so; a
    /// damaged or locked journal is an error.
    pub fn open(dir: &Path, wait: bool, on_wait: &mut dyn FnMut(&str)) -> Result<Recorder, Error> {
        let contention = if wait {
            Contention::Wait
        } else {
            Contention::Fail
        };
        let mut recorder = Recorder {
            dir: Some(dir.to_owned()),
            ..Recorder::nowhere()
        };
        match JournalWriter::open(dir, contention, WriterOptions::default(), on_wait) {
            Ok(writer) => {
                ignore_itself(dir);
                recorder.writer = Some(writer);
            }
            Err(e) if e.is_unwritable() => recorder.stop(e.to_string()),
            Err(e) => return Err(e.into()),
        }
        Ok(recorder)
    }

    /// A recorder that writes nothing (the run is not journaled).
    pub fn nowhere() -> Recorder {
        Recorder {
            writer: None,
            dir: None,
            start: None,
            designs: Vec::new(),
            held: Vec::new(),
            begun: false,
            other_shards: Vec::new(),
            start_seq: None,
            appended: Vec::new(),
            dropped: 0,
            stopped: None,
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

    /// Whether this recorder holds the journal's writer lock (and so no other run or design
    /// patch is writing a mission file).
    pub fn holds_lock(&self) -> bool {
        self.writer.is_some()
    }

    /// Whether a write failed, so that the run is not (wholly) in the journal: its mission
    /// files are then left as they were, in step with the journal.
    pub fn stopped(&self) -> bool {
        self.stopped.is_some()
    }

    /// The run begins; its start is written with the first test that executes, after the
    /// blobs of the designs it names.
    pub fn begin(&mut self, start: RunStart, designs: Vec<Vec<u8>>) {
        self.start = Some(start);
        self.designs = designs;
    }

    /// A test ended: append its record (the run's start first, when this is the first test
    /// that executed).
    pub fn record(&mut self, test: &TestRecord) {
        if !self.begun {
            match test.outcome {
                None => return,
                Some(Outcome::Ignored) => {
                    self.held.push(test.clone());
                    return;
                }
                Some(_) => self.begin_now(),
            }
        }
        self.append_outcome(test);
    }

    /// Record the run even if no test executes: a shard of a partitioned run may hold none
    /// of the suite's tests, and its merge needs every shard.
    pub fn begin_now(&mut self) {
        if self.begun {
            return;
        }
        self.begun = true;
        if let (Some(w), Some(start)) = (&mut self.writer, self.start.take()) {
            let designs = std::mem::take(&mut self.designs);
            let written = designs
                .iter()
                .try_for_each(|d| w.put_blob(d).map(drop))
                .and_then(|()| w.append(&Record::RunStart(start)));
            match written {
                Ok(seq) => self.start_seq = Some(seq),
                Err(e) => self.stop(e.to_string()),
            }
        }
        for held in std::mem::take(&mut self.held) {
            self.append_outcome(&held);
        }
    }

    fn append_outcome(&mut self, t: &TestRecord) {
        let Some(outcome) = t.outcome else {
            return;
        };
        let Some(w) = &mut self.writer else {
            self.dropped += 1;
            return;
        };
        match append_result(w, t, outcome) {
            Ok(seq) => self.appended.push(seq),
            Err(e) => {
                self.dropped += 1;
                self.stop(e.to_string());
            }
        }
    }

    /// Whether a test has executed (and so the run is recorded).
    pub fn begun(&self) -> bool {
        self.begun
    }

    /// A test of the run that `--partition` dealt to another shard: part of the run's
    /// inventory, written with its end.
    pub fn in_other_shard(&mut self, t: &TestRecord) {
        if self.writer.is_some() {
            let def = TestDef::new(&t.mission, &t.reference, &t.binary, t.line, &t.ids);
            self.other_shards.push(def);
        }
    }

    /// The run ended: write its end record, when it began, and wait for durability.
    pub fn end(&mut self, mut end: RunEnd) {
        let (true, Some(w)) = (self.begun, &mut self.writer) else {
            return;
        };
        let mut written = Ok(());
        for def in std::mem::take(&mut self.other_shards) {
            end.other_shards.push(def.id);
            written = written.and_then(|()| w.define_test(def));
        }
        let written = written
            .and_then(|()| w.append(&Record::RunEnd(end)).map(drop))
            .and_then(|()| w.flush());
        if let Err(e) = written {
            self.stop(e.to_string());
        }
    }

    /// The recording stops for good at a failed write: what the log is sure to hold is
    /// counted, and the writer (and its lock) let go.
    fn stop(&mut self, error: String) {
        let (recorded, started) = match self.writer.take() {
            Some(w) => {
                let durable = w.durable();
                let recorded = self.appended.iter().filter(|s| **s <= durable).count();
                // Closing again reports the same failure: nothing more can be written.
                let _ = w.close();
                (
                    recorded as u64,
                    self.start_seq.is_some_and(|s| s <= durable),
                )
            }
            None => (0, false),
        };
        if self.stopped.is_none() {
            self.stopped = Some(Stopped {
                error,
                recorded,
                started,
                handed: self.start_seq.is_some(),
            });
        }
    }

    /// Stop the writer and update the index; say what of the run was not recorded, if
    /// anything (a log that refused a write, an index that could not grow).
    pub fn close(mut self) -> Vec<Unrecorded> {
        let mut out = Vec::new();
        if let Some(w) = self.writer.take() {
            let wal = exemplar_store::journal::wal_dir(w.dir());
            match w.close() {
                Ok(Some(index)) => out.push(index_unrecorded(index)),
                Ok(None) => {}
                // The run's end was made durable before (or the recording had stopped): what
                // failed now is the last flush of nothing, or the index, which is derived.
                Err(e) => out.push(Unrecorded {
                    place: WritePlace::Journal,
                    path: wal,
                    error: e.to_string(),
                    lost: "nothing known: the run's end was durable before the journal was \
                           closed; its next open checks the log"
                        .to_owned(),
                }),
            }
        }
        if let (Some(stopped), Some(dir)) = (&self.stopped, &self.dir) {
            let total = self.appended.len() as u64 + self.dropped;
            out.insert(0, journal_unrecorded(dir, stopped, total));
        }
        out
    }
}

/// Append a test's result, its blobs and (the first time) its definition; the result's log
/// sequence number.
fn append_result(
    w: &mut JournalWriter,
    t: &TestRecord,
    outcome: Outcome,
) -> Result<u64, StoreError> {
    let mut blob = |text: &Option<String>| -> Result<_, StoreError> {
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
    })
}

/// What a log that refused a write left unrecorded.
fn journal_unrecorded(dir: &Path, stopped: &Stopped, total: u64) -> Unrecorded {
    let lost = if stopped.started {
        format!(
            "this run from the failed write on: {} of its {total} test outcomes reached the log \
             durably, and its end did not, so the journal shows the run cut short; the mission \
             files were left as they were",
            stopped.recorded
        )
    } else if stopped.handed {
        "this run: nothing of it is sure to be in the journal (what reached the log reads as a \
         run cut short), and the mission files were left as they were"
            .to_owned()
    } else {
        "this run: nothing of it was recorded, and the mission files were left as they were"
            .to_owned()
    };
    Unrecorded {
        place: WritePlace::Journal,
        path: exemplar_store::journal::wal_dir(dir),
        error: stopped.error.clone(),
        lost,
    }
}

/// What an index that could not grow left unrecorded: nothing the log lacks.
fn index_unrecorded(e: StoreError) -> Unrecorded {
    let path = match &e {
        StoreError::IndexUnwritable { path, .. } | StoreError::Io { path, .. } => path.clone(),
        _ => PathBuf::new(),
    };
    Unrecorded {
        place: WritePlace::Index,
        path,
        error: e.to_string(),
        lost: "nothing: the log holds the whole run, and the index catches up with it at the \
               first command that finds room to write it"
            .to_owned(),
    }
}
