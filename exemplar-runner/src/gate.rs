//! The gate of `check`: a run compared with a baseline.
//!
//! The baseline is the signal and history in the mission files as committed at `HEAD` (read
//! with `git show`), or a run of the journal, or another commit. A mission fails the gate when:
//!
//! - an `active` directive's loss rose (a directive new since the baseline counts from 0);
//! - a test that passed in the baseline fails now (unless it only verifies `proposed` ones);
//! - a test is `stranded`: compiled, but run by no harness (tagged or not);
//! - its loss is above the ceiling (`--max-loss`, or `[package.metadata.exemplar] max-loss`).
//!
//! `proposed` directives are shown, never gating. Without any baseline (a mission not yet
//! committed), every directive is compared with loss 0.

use std::collections::HashMap;
use std::path::Path;

use exemplar_formats::check::{MissionVerdict, Regression, Violation};
use exemplar_formats::{Outcome, TestRecord};
use exemplar_mission::update::round_loss;
use exemplar_mission::{Mission, Status};

use crate::errors::Error;
use crate::git::git;
use crate::rows::rows;
use crate::session::{MissionResult, Session};

/// What one mission looked like in the baseline.
#[derive(Debug, Clone, Default)]
pub struct MissionBaseline {
    /// Mission loss.
    pub loss: Option<f64>,
    /// Direct loss per node.
    pub directives: HashMap<String, f64>,
    /// Latest outcome per test ref.
    pub tests: HashMap<String, Outcome>,
}

/// The baseline of every mission: a description and the data.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// "HEAD (1a2b3c4)", "run 2025...", "commit abc".
    pub label: String,
    /// By mission id; a mission without a baseline is absent.
    pub missions: HashMap<String, MissionBaseline>,
}

/// Compare one mission's run with its baseline.
pub fn judge(
    m: &MissionResult,
    base: Option<&MissionBaseline>,
    max_loss: Option<f64>,
) -> MissionVerdict {
    let rows = rows(m);
    let empty = MissionBaseline::default();
    let b = base.unwrap_or(&empty);
    let mut violations = Vec::new();
    let mut proposed = Vec::new();
    for row in rows {
        let Some(after) = row.loss else { continue };
        match row.status {
            Status::Active => {
                let before = b.directives.get(&row.id).copied().unwrap_or(0.0);
                if after > before + 1e-9 {
                    violations.push(Violation { before, after, row });
                }
            }
            Status::Proposed if after > 0.0 => proposed.push(row),
            _ => {}
        }
    }
    let mission = &m.package.mission;
    let gating = |ids: &[String]| {
        ids.iter()
            .any(|id| mission.node(id).is_some_and(|n| n.status == Status::Active))
    };
    let regression = |t: &TestRecord| Regression {
        reference: t.reference.clone(),
        ids: t.ids.clone(),
        outcome: t.outcome.unwrap_or(Outcome::Failed),
        file: t.file.clone(),
        line: t.line,
        message: t.message.clone(),
    };
    let regressions = m
        .tests
        .iter()
        .filter(|t| t.outcome.is_some_and(Outcome::is_failing))
        .filter(|t| t.outcome != Some(Outcome::Stranded))
        .filter(|t| b.tests.get(&t.reference) == Some(&Outcome::Passed))
        .filter(|t| gating(&t.ids))
        .map(regression)
        .collect();
    let stranded = m
        .tests
        .iter()
        .filter(|t| t.outcome == Some(Outcome::Stranded))
        .map(regression)
        .collect();
    let loss_after = round_loss(m.update.loss.mission);
    MissionVerdict {
        id: mission.id.clone(),
        loss_before: b.loss,
        loss_after,
        max_loss,
        over_ceiling: max_loss.is_some_and(|c| loss_after > c + 1e-9),
        violations,
        regressions,
        stranded,
        proposed,
    }
}

/// The baseline: `--baseline RUN|COMMIT`, or the mission files at HEAD.
pub fn load_baseline(s: &Session, spec: Option<&str>) -> Result<Baseline, Error> {
    let Some(first) = s.missions.first() else {
        return Ok(Baseline::default());
    };
    let root = first.package.dir.clone();
    if let Some(spec) = spec {
        // A run of the journal this run was recorded in?
        if let Some(dir) = &s.journal
            && dir.join("wal").is_dir()
        {
            let ix = exemplar_store::open_index(dir)?;
            if let Ok(run) = ix.find_run(spec) {
                return from_run(&ix, &run);
            }
        }
        if git(
            &root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{spec}^{{commit}}"),
            ],
        )
        .is_some()
        {
            return from_commit(s, spec, &format!("commit {spec}"));
        }
        return Err(Error::UnknownBaseline {
            spec: spec.to_owned(),
        });
    }
    match git(&root, &["rev-parse", "--short=7", "HEAD"]) {
        Some(head) => from_commit(s, "HEAD", &format!("the mission files at HEAD ({head})")),
        None => Ok(Baseline {
            label: "nothing (not a git repository with commits): every directive is compared with loss 0".into(),
            missions: HashMap::new(),
        }),
    }
}

fn from_commit(s: &Session, rev: &str, label: &str) -> Result<Baseline, Error> {
    let mut missions = HashMap::new();
    for m in &s.missions {
        let path = &m.package.mission.path;
        let dir = path.parent().unwrap_or(Path::new("."));
        let Some(top) = git(dir, &["rev-parse", "--show-toplevel"]) else {
            continue;
        };
        let rel = path
            .strip_prefix(&top)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let Some(text) = git(dir, &["show", &format!("{rev}:{rel}")]) else {
            continue; // not committed there: no baseline for this mission
        };
        let old: Mission = exemplar_mission::parse_str(path, &text)?;
        missions.insert(m.package.mission.id.clone(), from_mission(&old));
    }
    Ok(Baseline {
        label: label.to_owned(),
        missions,
    })
}

/// A mission file's own record of its last state.
pub fn from_mission(m: &Mission) -> MissionBaseline {
    let last = m.history.last();
    MissionBaseline {
        loss: last.map(|h| h.loss),
        directives: last
            .map(|h| h.directives.iter().cloned().collect())
            .unwrap_or_default(),
        tests: m
            .signal
            .iter()
            .filter_map(|s| s.result.as_ref().map(|r| (s.reference.clone(), r.outcome)))
            .collect(),
    }
}

fn from_run(ix: &exemplar_store::Index, run: &exemplar_store::RunRow) -> Result<Baseline, Error> {
    let mut missions: HashMap<String, MissionBaseline> = HashMap::new();
    for l in &run.losses {
        let b = missions.entry(l.mission.clone()).or_default();
        b.loss = Some(round_loss(l.loss));
        for n in &l.nodes {
            b.directives.insert(n.id.clone(), round_loss(n.loss));
        }
    }
    for o in ix.outcomes(&run.run_id)? {
        if let Some(outcome) = Outcome::from_code(o.outcome) {
            missions
                .entry(o.mission.clone())
                .or_default()
                .tests
                .insert(o.reference.clone(), outcome);
        }
    }
    Ok(Baseline {
        label: format!("run {}", run.run_id),
        missions,
    })
}
