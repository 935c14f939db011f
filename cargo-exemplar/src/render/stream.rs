//! `run --message-format json-stream`: each [`RunEvent`] that a watching tool needs, as one
//! [`StreamEvent`] line (`exemplar-events`, version 1) on stdout the moment it happens; the
//! run's document last. Everything else the progress shows on stderr as in a human run.

use std::io::Write;

use exemplar_formats::stream::{self, BinaryRef, StreamEvent};
use exemplar_runner::build::TestBinary;
use exemplar_runner::{Reporter, RunEvent, Session};

use crate::progress::Progress;

/// Writes the stream, and passes every event on to the progress on stderr.
pub struct Stream<'p> {
    progress: &'p mut Progress,
    /// The binary that started, until the runner says how many of its tests it plans.
    starting: Option<BinaryRef>,
}

impl<'p> Stream<'p> {
    /// A stream, begun: its `run-started` line is written.
    pub fn start(progress: &'p mut Progress) -> Stream<'p> {
        emit(&StreamEvent::RunStarted {
            format: stream::FORMAT.into(),
            version: stream::VERSION,
        });
        Stream {
            progress,
            starting: None,
        }
    }

    /// The last line: the run's document.
    pub fn finish(self, session: &Session) {
        emit(&StreamEvent::RunFinished {
            document: Box::new(super::json::document(session)),
        });
    }
}

impl Reporter for Stream<'_> {
    fn report(&mut self, event: RunEvent<'_>) {
        match &event {
            RunEvent::BinaryStarted(bin) => self.starting = Some(binary_ref(bin)),
            RunEvent::Planned(planned) => {
                if let Some(binary) = self.starting.take() {
                    emit(&StreamEvent::BinaryStarted {
                        binary,
                        planned: *planned,
                    });
                }
            }
            other => {
                if let Some(line) = line_of(other) {
                    emit(&line);
                }
            }
        }
        self.progress.report(event);
    }
}

/// The stream's line for `event`, when it has one.
fn line_of(event: &RunEvent<'_>) -> Option<StreamEvent> {
    Some(match event {
        RunEvent::TestStarted { binary, name } => StreamEvent::TestStarted {
            binary: binary.target.clone(),
            kind: binary.kind.clone(),
            name: (*name).to_owned(),
        },
        RunEvent::TestSlow {
            binary,
            name,
            seconds,
        } => StreamEvent::TestSlow {
            binary: binary.target.clone(),
            kind: binary.kind.clone(),
            name: (*name).to_owned(),
            seconds: *seconds,
        },
        RunEvent::TestFinished { binary, record } => StreamEvent::TestFinished {
            kind: binary.kind.clone(),
            record: (*record).clone(),
        },
        RunEvent::TestAmended { binary, record } | RunEvent::TestUpdated { binary, record } => {
            StreamEvent::TestAmended {
                kind: binary.kind.clone(),
                record: (*record).clone(),
            }
        }
        RunEvent::BinaryFinished { binary, counts } => StreamEvent::BinaryFinished {
            binary: binary_ref(binary),
            counts: **counts,
        },
        RunEvent::Warning(text) | RunEvent::RecoveredJournal(text) => StreamEvent::Warning {
            message: (*text).to_owned(),
        },
        _ => return None,
    })
}

fn binary_ref(bin: &TestBinary) -> BinaryRef {
    BinaryRef {
        package: bin.package.clone(),
        binary: bin.target.clone(),
        kind: bin.kind.clone(),
    }
}

/// One line on stdout, flushed: a watcher sees it at once. A closed stdout is not an error
/// of the run.
fn emit(event: &StreamEvent) {
    let text = serde_json::to_string(event).expect("an event serializes");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}
