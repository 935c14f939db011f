//! The signal stage: each mission's loss from this run's records, and the rewrite of its
//! mission file.
//!
//! A run in which no test executed rewrites nothing. A package with a binary that never
//! listed its tests has an incomplete inventory, so its tests missing from this run keep
//! their place in `signal:`.

use std::collections::HashMap;

use exemplar_formats::run::{Unrecorded, WritePlace};
use exemplar_formats::{OutcomeCounts, TestRecord};
use exemplar_mission::update::{self, RunInput};
use exemplar_mission::{RewriteError, rewrite};
use exemplar_store::records::{MissionLoss, NodeLoss, RunEnd};

use crate::clock::RunClock;
use crate::discover::MissionPackage;
use crate::errors::Error;
use crate::session::MissionResult;

/// What every history entry of this run carries, and whether to write.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// RFC 3339 UTC, milliseconds.
    pub timestamp: String,
    /// `1a2b3c4` or `1a2b3c4+dirty`.
    pub commit: Option<String>,
    /// `--note`.
    pub note: Option<String>,
    /// Rewrite the mission files (false under `--no-rewrite`, or when no test executed).
    pub rewrite: bool,
    /// Only some test targets ran (`--lib`, `--test NAME`...): tests outside them are kept.
    pub partial: bool,
}

/// Merge each package's records into its mission. `tests` is drained: each package's records
/// move into its [`MissionResult`]. Nothing is written yet (see [`rewrite_missions`]).
pub fn update_missions(
    packages: &[MissionPackage],
    tests: &mut HashMap<String, Vec<TestRecord>>,
    incomplete: &[String],
    stamp: &Stamp,
) -> Vec<MissionResult> {
    let mut missions = Vec::new();
    for pkg in packages {
        let input = RunInput {
            tests: tests.remove(&pkg.name).unwrap_or_default(),
            inventory_complete: !incomplete.contains(&pkg.name) && !stamp.partial,
            timestamp: stamp.timestamp.clone(),
            commit: stamp.commit.clone(),
            note: stamp.note.clone(),
            history_cap: pkg.history_cap,
        };
        let update = update::apply(&pkg.mission, &input);
        missions.push(MissionResult {
            package: pkg.clone(),
            tests: input.tests,
            update,
            rewritten: false,
        });
    }
    missions
}

/// Rewrite each mission file whose signal or history changed (atomically, refusing a file
/// changed on disk since it was read), when `stamp` says to. Called after the run's end is
/// journaled, so a refused rewrite never leaves the run unfinished in the journal. A file the
/// disk will not let be written (full, read-only) keeps what it had, and is returned with what
/// it did not get; the other missions are still written.
pub fn rewrite_missions(
    missions: &mut [MissionResult],
    stamp: &Stamp,
) -> Result<Vec<Unrecorded>, Error> {
    let mut unrecorded = Vec::new();
    if !stamp.rewrite {
        return Ok(unrecorded);
    }
    for m in missions.iter_mut().filter(|m| m.update.changed) {
        let mission = &m.package.mission;
        let text = rewrite::render(mission, &m.update.signal, &m.update.history)?;
        match rewrite::write_atomic(&mission.path, &mission.source, &text) {
            Ok(()) => m.rewritten = true,
            Err(RewriteError::Io { path, source }) if exemplar_store::is_unwritable(&source) => {
                unrecorded.push(Unrecorded {
                    place: WritePlace::Mission,
                    path: mission.path.clone(),
                    error: format!("cannot write {}: {source}", path.display()),
                    lost: "this run's signal and history for this mission file, which keeps \
                           what it had; the journal holds the run"
                        .to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(unrecorded)
}

/// Remove the temporary files that rewrites of these packages' mission files left when they
/// were killed between writing and renaming (`.mission.*.tmp` beside each file); the removed
/// paths. Only while holding the journal's writer lock: every rewrite takes it, so none of
/// these files is in use.
pub fn sweep_temporaries(packages: &[MissionPackage]) -> Vec<std::path::PathBuf> {
    packages
        .iter()
        .flat_map(|p| rewrite::sweep_temporaries(&p.mission.path))
        .collect()
}

/// The journal's end record of a run.
pub fn run_end(
    run_id: &str,
    clock: &RunClock,
    counts: OutcomeCounts,
    missions: &[MissionResult],
) -> RunEnd {
    RunEnd {
        run_id: run_id.to_owned(),
        ended_at: clock.now().as_second(),
        counts: counts.to_codes(),
        losses: missions
            .iter()
            .map(|m| MissionLoss {
                mission: m.package.mission.id.clone(),
                loss: m.update.loss.mission,
                nodes: m
                    .update
                    .loss
                    .nodes
                    .iter()
                    .filter_map(|n| {
                        n.direct.map(|loss| NodeLoss {
                            id: n.id.clone(),
                            loss,
                        })
                    })
                    .collect(),
            })
            .collect(),
        other_shards: Vec::new(), // the recorder adds them
    }
}
