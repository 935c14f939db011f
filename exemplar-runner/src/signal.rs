//! The signal stage: each mission's loss from this run's records, and the rewrite of its
//! mission file.
//!
//! A run in which no test executed rewrites nothing. A package with a binary that never
//! listed its tests has an incomplete inventory, so its tests missing from this run keep
//! their place in `signal:`.

use std::collections::HashMap;

use exemplar_formats::{OutcomeCounts, TestRecord};
use exemplar_mission::rewrite;
use exemplar_mission::update::{self, RunInput};
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

/// Merge each package's records into its mission and rewrite the file when it changed.
/// `tests` is drained: each package's records move into its [`MissionResult`].
pub fn update_missions(
    packages: &[MissionPackage],
    tests: &mut HashMap<String, Vec<TestRecord>>,
    incomplete: &[String],
    stamp: &Stamp,
) -> Result<Vec<MissionResult>, Error> {
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
        let rewritten = update.changed && stamp.rewrite;
        if rewritten {
            let text = rewrite::render(&pkg.mission, &update.signal, &update.history)?;
            rewrite::write_atomic(&pkg.mission.path, &pkg.mission.source, &text)?;
        }
        missions.push(MissionResult {
            package: pkg.clone(),
            tests: input.tests,
            update,
            rewritten,
        });
    }
    Ok(missions)
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
    }
}
