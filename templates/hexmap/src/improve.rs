//! The improvement loop: a [`Proposer`] suggests candidate patches for the best version so far;
//! each is applied atomically (lint-checked) to a new version, parsed and scored; the best
//! candidate that beats the current score becomes the new best. The loop stops when no
//! candidate improves, when the proposer has nothing left, or after `max_iterations`.
//!
//! The proposer is where an agent plugs in. [`CandidatePool`] is a deterministic one: it offers
//! every candidate patch it holds, each round, until one is taken.

use std::sync::Arc;

use serde::Serialize;

use crate::artifact::{RunArtifact, create_run_artifact};
use crate::compare::{Score, find_best_scoring_run, score_run};
use crate::errors::PatchError;
use crate::lint::lint_spec;
use crate::parse::{ParseOptions, parse_binary};
use crate::patch::Patch;
use crate::spec::Locations;
use crate::version::{SpecStore, SpecVersion};

/// What a proposer sees: the best version so far, its run and its score.
pub struct ProposalContext<'a> {
    /// Round number, from 0.
    pub iteration: usize,
    /// The best version so far.
    pub version: &'a SpecVersion,
    /// Its run on the file.
    pub run: &'a RunArtifact,
    /// Its score.
    pub score: &'a Score,
}

/// Suggests candidate patches. Implement this to plug in an agent.
pub trait Proposer {
    /// Candidates for improving `cx.version`; none ends the loop.
    fn propose(&mut self, cx: &ProposalContext<'_>) -> Vec<Patch>;

    /// Told which candidate (by index in the last proposal) became the new best.
    fn accepted(&mut self, _index: usize) {}
}

impl<F: FnMut(&ProposalContext<'_>) -> Vec<Patch>> Proposer for F {
    fn propose(&mut self, cx: &ProposalContext<'_>) -> Vec<Patch> {
        self(cx)
    }
}

/// A deterministic proposer: offers all its patches every round; a patch that is taken leaves
/// the pool. Patches that do not apply yet (say, they edit a type another patch adds) stay.
#[derive(Debug, Clone, Default)]
pub struct CandidatePool {
    /// The patches still on offer, in order.
    pub candidates: Vec<Patch>,
}

impl Proposer for CandidatePool {
    fn propose(&mut self, _cx: &ProposalContext<'_>) -> Vec<Patch> {
        self.candidates.clone()
    }

    fn accepted(&mut self, index: usize) {
        if index < self.candidates.len() {
            self.candidates.remove(index);
        }
    }
}

/// Options of the loop.
#[derive(Debug, Clone, Copy)]
pub struct LoopOptions {
    /// At most this many rounds.
    pub max_iterations: usize,
    /// Parse options for every run.
    pub parse: ParseOptions,
}

impl Default for LoopOptions {
    fn default() -> Self {
        LoopOptions {
            max_iterations: 10,
            parse: ParseOptions::default(),
        }
    }
}

/// What became of one candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CandidateOutcome {
    /// It did not apply or did not lint; no version was made.
    Rejected {
        /// Why.
        error: String,
    },
    /// It made a version, which was parsed and scored.
    Scored {
        /// The new version.
        version_id: String,
        /// Its run.
        run_id: String,
        /// Its score.
        score: f64,
        /// Whether it passed the hard gates.
        passed_gates: bool,
        /// Coverage of its run.
        coverage: f64,
    },
}

/// One candidate of one round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateLog {
    /// The patch's description.
    pub description: String,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: CandidateOutcome,
}

/// One round of the loop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Round {
    /// Round number, from 0.
    pub iteration: usize,
    /// The version the candidates were applied to.
    pub from_version: String,
    /// Its score.
    pub from_score: f64,
    /// The candidates.
    pub candidates: Vec<CandidateLog>,
    /// The version that became the best, if any did.
    pub chosen: Option<String>,
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopEnd {
    /// No candidate beat the best score.
    NoImprovement,
    /// The proposer proposed nothing.
    NoCandidates,
    /// `max_iterations` rounds ran.
    MaxIterations,
}

/// The result of the loop: the best version, its run and score, and the audit trail.
#[derive(Debug, Clone)]
pub struct LoopOutcome {
    /// The best version.
    pub best_version: Arc<SpecVersion>,
    /// Its run.
    pub best_run: RunArtifact,
    /// Its score.
    pub best_score: Score,
    /// Every round.
    pub rounds: Vec<Round>,
    /// The lineage of the best version.
    pub lineage: Vec<String>,
    /// Why it ended.
    pub end: LoopEnd,
}

/// Run version `id` on `data`: lint it and parse, as run `run_id`.
pub fn run_version(
    v: &SpecVersion,
    run_id: &str,
    data: &[u8],
    file_path: &str,
    options: ParseOptions,
) -> Result<RunArtifact, PatchError> {
    let grammar = lint_spec(&v.spec, &Locations::default()).map_err(PatchError::Lint)?;
    let parse = parse_binary(&grammar, data, options);
    Ok(create_run_artifact(
        run_id, &v.id, &grammar, parse, file_path,
    ))
}

/// Improve version `start` on `data` with `proposer`. Every version made is kept in `store`.
pub fn improve(
    store: &mut SpecStore,
    start: &str,
    data: &[u8],
    file_path: &str,
    proposer: &mut dyn Proposer,
    options: LoopOptions,
) -> Result<LoopOutcome, PatchError> {
    let mut best = store
        .get(start)
        .ok_or_else(|| PatchError::UnknownVersion(start.to_owned()))?;
    let mut best_run = run_version(&best, "baseline", data, file_path, options.parse)?;
    let mut best_score = score_run(&best_run, None);
    let mut rounds = Vec::new();
    let mut end = LoopEnd::MaxIterations;
    for iteration in 0..options.max_iterations {
        let candidates = proposer.propose(&ProposalContext {
            iteration,
            version: &best,
            run: &best_run,
            score: &best_score,
        });
        if candidates.is_empty() {
            end = LoopEnd::NoCandidates;
            break;
        }
        let mut logs = Vec::new();
        let mut runs: Vec<RunArtifact> = Vec::new();
        let mut origin: Vec<usize> = Vec::new();
        for (i, patch) in candidates.iter().enumerate() {
            let outcome = match store.apply_patch(&best.id, patch, true) {
                Err(e) => CandidateOutcome::Rejected {
                    error: e.to_string(),
                },
                Ok(v) => {
                    let run_id = format!("r{iteration}.{i}");
                    let run = run_version(&v, &run_id, data, file_path, options.parse)?;
                    let score = score_run(&run, Some(&best_run));
                    let out = CandidateOutcome::Scored {
                        version_id: v.id.clone(),
                        run_id,
                        score: score.total_score,
                        passed_gates: score.passed_hard_gates,
                        coverage: run.stats.coverage_percentage,
                    };
                    runs.push(run);
                    origin.push(i);
                    out
                }
            };
            logs.push(CandidateLog {
                description: patch.description.clone(),
                outcome,
            });
        }
        let mut round = Round {
            iteration,
            from_version: best.id.clone(),
            from_score: best_score.total_score,
            candidates: logs,
            chosen: None,
        };
        let winner = find_best_scoring_run(&runs, Some(&best_run))
            .filter(|(_, s)| s.total_score > best_score.total_score)
            .map(|(r, s)| (r.run_id.clone(), s));
        match winner {
            Some((run_id, score)) => {
                let k = runs.iter().position(|r| r.run_id == run_id).unwrap_or(0);
                let run = runs.swap_remove(k);
                best = store
                    .get(&run.spec_version_id)
                    .ok_or_else(|| PatchError::UnknownVersion(run.spec_version_id.clone()))?;
                round.chosen = Some(best.id.clone());
                proposer.accepted(origin[k]);
                best_run = run;
                best_score = score;
                rounds.push(round);
            }
            None => {
                rounds.push(round);
                end = LoopEnd::NoImprovement;
                break;
            }
        }
    }
    Ok(LoopOutcome {
        lineage: store.get_lineage(&best.id),
        best_version: best,
        best_run,
        best_score,
        rounds,
        end,
    })
}
