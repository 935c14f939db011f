//! A run made of records that no test execution of this process produced — the shards of a
//! partitioned run merged, another runner's reports ingested — recorded and shown as a run is.

use std::collections::HashMap;
use std::path::PathBuf;

use exemplar_formats::{OutcomeCounts, TestRecord};
use exemplar_store::records::RunStart;

use crate::clock::RunClock;
use crate::discover::Discovery;
use crate::errors::Error;
use crate::journal::Recorder;
use crate::session::Session;
use crate::signal::{self, Stamp};

/// What a made run is made of.
pub(crate) struct MadeRun {
    /// The missions.
    pub(crate) discovery: Discovery,
    /// Each package's records.
    pub(crate) tests: HashMap<String, Vec<TestRecord>>,
    /// The journal's recorder, and where the journal is (`None`: not recorded).
    pub(crate) recorder: Recorder,
    pub(crate) journal: Option<PathBuf>,
    /// The run's start record (its id is the run's).
    pub(crate) start: RunStart,
    pub(crate) clock: RunClock,
    /// The history entry's stamp. A run in which no test executed rewrites nothing.
    pub(crate) stamp: Stamp,
}

impl MadeRun {
    /// Fold each package's records into its mission, journal the run (its start, each test,
    /// its end), rewrite the mission files when the stamp says, and return the session.
    pub(crate) fn record(self) -> Result<Session, Error> {
        let MadeRun {
            discovery,
            mut tests,
            mut recorder,
            journal,
            start,
            clock,
            mut stamp,
        } = self;
        let mut counts = OutcomeCounts::default();
        for o in tests.values().flatten().filter_map(|t| t.outcome) {
            counts.add(o);
        }
        stamp.rewrite &= counts.executed() > 0;
        let run_id = start.run_id.clone();
        let mut missions = signal::update_missions(&discovery.packages, &mut tests, &[], &stamp);
        recorder.begin(start, crate::session::design_blobs(&discovery));
        for t in missions.iter().flat_map(|m| &m.tests) {
            recorder.record(t);
        }
        recorder.end(signal::run_end(&run_id, &clock, counts, &missions));
        let executed = recorder.begun();
        // A run the journal could not wholly record leaves the mission files in step with it.
        stamp.rewrite &= !recorder.stopped();
        // The mission files are rewritten while the journal's lock is held, as a run does.
        let rewritten = signal::rewrite_missions(&mut missions, &stamp);
        let mut unrecorded = recorder.close();
        unrecorded.extend(rewritten?);
        Ok(Session {
            run_id,
            executed,
            root: discovery.root,
            journal,
            missions,
            skipped: discovery.skipped,
            others: Vec::new(),
            counts,
            flaky_fails: false,
            not_run: 0,
            rerun_of: None,
            partition: None,
            other_shards: 0,
            merged_from: Vec::new(),
            unrecorded,
            elapsed: clock.elapsed(),
        })
    }
}
