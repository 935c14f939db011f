//! The signal journal as the command sees it: where it lives, and the sink that streams a run
//! into it.
//!
//! The journal is `.exemplar/` at the workspace root, or `--journal DIR`, or `EXEMPLAR_JOURNAL`.
//! A run opens it as the single writer (waiting, with a message, while another run holds it;
//! `--no-wait` fails instead), appends a run-start record, every outcome the moment it is known
//! (failure messages and captured output as content-addressed blobs), and a run-end record;
//! then waits until all of it is durable.

use std::path::{Path, PathBuf};

use exemplar_store::records::{self, MissionLoss, MissionStamp, NodeLoss, NodeStamp};
use exemplar_store::{Contention, JournalWriter, Record, WriterOptions};
use minicbor::bytes::ByteArray;

use crate::errors::Error;
use crate::run::sink::{RunEnd, RunStart, Sink, SinkError, TestRecord};

/// The journal folder: `--journal`, else `EXEMPLAR_JOURNAL`, else `.exemplar/` in `root`.
pub fn location(flag: Option<&Path>, root: &Path) -> PathBuf {
    flag.map(Path::to_owned)
        .or_else(|| std::env::var_os("EXEMPLAR_JOURNAL").map(PathBuf::from))
        .unwrap_or_else(|| root.join(".exemplar"))
}

/// Unix seconds of an RFC 3339 timestamp (0 when unreadable).
pub fn unix(ts: &str) -> i64 {
    exemplar_mission::update::epoch_seconds(ts).unwrap_or(0)
}

/// Streams a run into the journal.
pub struct JournalSink {
    writer: Option<JournalWriter>,
}

impl JournalSink {
    /// Open the journal at `dir` as its writer.
    pub fn open(
        dir: &Path,
        wait: bool,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<JournalSink, Error> {
        let contention = if wait {
            Contention::Wait
        } else {
            Contention::Fail
        };
        let writer = JournalWriter::open(dir, contention, WriterOptions::default(), on_wait)?;
        Ok(JournalSink {
            writer: Some(writer),
        })
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

    fn w(&mut self) -> Result<&mut JournalWriter, SinkError> {
        self.writer
            .as_mut()
            .ok_or_else(|| "the journal is closed".into())
    }

    /// Wait for durability, stop the writer and update the index.
    pub fn close(mut self) -> Result<(), Error> {
        if let Some(w) = self.writer.take() {
            w.close()?;
        }
        Ok(())
    }
}

impl Sink for JournalSink {
    fn begin(&mut self, start: &RunStart) -> Result<(), SinkError> {
        let rec = Record::RunStart(records::RunStart {
            run_id: start.run_id.clone(),
            started_at: unix(&start.started_at),
            commit: start.commit.clone(),
            note: start.note.clone(),
            missions: start
                .missions
                .iter()
                .map(|m| MissionStamp {
                    mission: m.id.clone(),
                    package: m.package.clone(),
                    nodes: m
                        .fingerprints
                        .iter()
                        .map(|(id, fp)| NodeStamp {
                            id: id.clone(),
                            fingerprint: fp.clone(),
                        })
                        .collect(),
                })
                .collect(),
        });
        self.w()?.append(&rec)?;
        Ok(())
    }

    fn record(&mut self, r: &TestRecord) -> Result<(), SinkError> {
        let w = self.w()?;
        let message = match &r.message {
            Some(m) => Some(ByteArray::from(w.put_blob(m.as_bytes())?)),
            None => None,
        };
        let output = match &r.output {
            Some(o) if !o.is_empty() => Some(ByteArray::from(w.put_blob(o.as_bytes())?)),
            _ => None,
        };
        let rec = Record::Outcome(records::Outcome {
            run_id: r.run_id.clone(),
            mission: r.mission.clone(),
            reference: r.reference.clone(),
            ids: r.ids.clone(),
            outcome: r.outcome.code(),
            duration: r.duration,
            message,
            output,
            binary: r.binary.clone(),
            line: r.line,
        });
        w.append(&rec)?;
        Ok(())
    }

    fn end(&mut self, end: &RunEnd) -> Result<(), SinkError> {
        let rec = Record::RunEnd(records::RunEnd {
            run_id: end.run_id.clone(),
            ended_at: unix(&end.ended_at),
            counts: end.counts.to_codes(),
            losses: end
                .missions
                .iter()
                .map(|m| MissionLoss {
                    mission: m.id.clone(),
                    loss: m.loss,
                    nodes: m
                        .nodes
                        .iter()
                        .map(|(id, loss)| NodeLoss {
                            id: id.clone(),
                            loss: *loss,
                        })
                        .collect(),
                })
                .collect(),
        });
        let w = self.w()?;
        w.append(&rec)?;
        w.flush()?;
        Ok(())
    }
}
