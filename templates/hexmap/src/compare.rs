//! Comparing runs: run diffs (coverage, error, anomaly and record deltas, and whether the
//! candidate is an improvement) and deterministic scoring (hard gates, then soft metrics), each
//! with a best-of selection whose ties are broken by candidate order.

use std::fmt;

use serde::Serialize;

use crate::artifact::{AnomalyKind, RunArtifact};

/// How a candidate run differs from a baseline run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDiff {
    /// The baseline's run id.
    pub baseline: String,
    /// The candidate's run id.
    pub candidate: String,
    /// Coverage, in percentage points.
    pub coverage_delta: f64,
    /// Covered bytes.
    pub covered_bytes_delta: i64,
    /// Parse errors.
    pub error_delta: i64,
    /// Anomalies of any severity.
    pub anomaly_delta: i64,
    /// High-severity anomalies.
    pub high_severity_delta: i64,
    /// Records.
    pub record_delta: i64,
    /// Kinds of anomaly the candidate has and the baseline had not.
    pub new_anomalies: Vec<AnomalyKind>,
    /// Kinds of anomaly the baseline had and the candidate has not.
    pub resolved_anomalies: Vec<AnomalyKind>,
}

impl RunDiff {
    /// Better and nowhere worse: no more errors or high-severity anomalies, no fewer covered
    /// bytes; and more coverage, fewer errors or fewer anomalies.
    pub fn is_improvement(&self) -> bool {
        let no_worse =
            self.error_delta <= 0 && self.high_severity_delta <= 0 && self.covered_bytes_delta >= 0;
        let better = self.covered_bytes_delta > 0 || self.error_delta < 0 || self.anomaly_delta < 0;
        no_worse && better
    }

    /// One line: the deltas with their signs.
    pub fn summary(&self) -> String {
        format!(
            "coverage {:+.1}% ({:+} bytes), errors {:+}, anomalies {:+} (high {:+}), records {:+}{}",
            self.coverage_delta,
            self.covered_bytes_delta,
            self.error_delta,
            self.anomaly_delta,
            self.high_severity_delta,
            self.record_delta,
            if self.is_improvement() {
                ": an improvement"
            } else {
                ""
            }
        )
    }
}

impl fmt::Display for RunDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

fn delta(a: usize, b: usize) -> i64 {
    b as i64 - a as i64
}

fn kinds(r: &RunArtifact) -> Vec<AnomalyKind> {
    let mut k: Vec<AnomalyKind> = r.anomalies.iter().map(|a| a.kind).collect();
    k.sort();
    k.dedup();
    k
}

/// Compare `candidate` with `baseline`.
pub fn diff_runs(baseline: &RunArtifact, candidate: &RunArtifact) -> RunDiff {
    let (a, b) = (&baseline.stats, &candidate.stats);
    let (ka, kb) = (kinds(baseline), kinds(candidate));
    RunDiff {
        baseline: baseline.run_id.clone(),
        candidate: candidate.run_id.clone(),
        coverage_delta: b.coverage_percentage - a.coverage_percentage,
        covered_bytes_delta: b.covered_bytes as i64 - a.covered_bytes as i64,
        error_delta: delta(a.error_count, b.error_count),
        anomaly_delta: delta(a.anomaly_count, b.anomaly_count),
        high_severity_delta: delta(a.high_severity_anomalies, b.high_severity_anomalies),
        record_delta: delta(a.record_count, b.record_count),
        new_anomalies: kb.iter().filter(|k| !ka.contains(k)).copied().collect(),
        resolved_anomalies: ka.iter().filter(|k| !kb.contains(k)).copied().collect(),
    }
}

/// The candidate that improves most on `baseline`: most covered bytes gained, then fewest
/// errors, then fewest anomalies; on a tie, the earlier candidate. `None` when none improves.
pub fn find_best_run<'r>(
    baseline: &RunArtifact,
    candidates: &'r [RunArtifact],
) -> Option<(&'r RunArtifact, RunDiff)> {
    let mut best: Option<(&RunArtifact, RunDiff)> = None;
    for c in candidates {
        let d = diff_runs(baseline, c);
        if !d.is_improvement() {
            continue;
        }
        let key = |d: &RunDiff| (d.covered_bytes_delta, -d.error_delta, -d.anomaly_delta);
        if best.as_ref().is_none_or(|(_, b)| key(&d) > key(b)) {
            best = Some((c, d));
        }
    }
    best
}

/// A hard gate: pass or the score is 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gate {
    /// `parse_advanced` or `no_safety_violations`.
    pub name: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// Why.
    pub detail: String,
}

/// A soft metric's contribution to the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// `coverage`, `error_penalty`, `anomaly_penalty`.
    pub name: &'static str,
    /// Points, added (negative for a penalty).
    pub points: f64,
}

/// The score of a run: 0 unless every gate passes, else coverage minus penalties in 0..=100.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// The run.
    pub run_id: String,
    /// 0..=100.
    pub total_score: f64,
    /// Whether every hard gate passed.
    pub passed_hard_gates: bool,
    /// The gates.
    pub gates: Vec<Gate>,
    /// The soft metrics.
    pub metrics: Vec<Metric>,
    /// One line.
    pub summary: String,
}

/// Points off per parse error.
pub const ERROR_PENALTY: f64 = 25.0;
/// Points off per medium-severity anomaly.
pub const MEDIUM_PENALTY: f64 = 5.0;
/// Points off per low-severity anomaly.
pub const LOW_PENALTY: f64 = 1.0;

/// Score `run`, against `baseline` when given.
///
/// Gates: `parse_advanced` (at least one record, and no fewer covered bytes than the
/// baseline) and `no_safety_violations` (no high-severity anomaly). Soft metrics: coverage in
/// percent, minus [`ERROR_PENALTY`] per error, [`MEDIUM_PENALTY`] per medium and
/// [`LOW_PENALTY`] per low anomaly, clamped to 0..=100. The same run always gets the same score.
pub fn score_run(run: &RunArtifact, baseline: Option<&RunArtifact>) -> Score {
    let s = &run.stats;
    let advanced =
        s.record_count > 0 && baseline.is_none_or(|b| s.covered_bytes >= b.stats.covered_bytes);
    let gates = vec![
        Gate {
            name: "parse_advanced",
            passed: advanced,
            detail: match baseline {
                Some(b) => format!(
                    "{} records, {} bytes covered (baseline {})",
                    s.record_count, s.covered_bytes, b.stats.covered_bytes
                ),
                None => format!(
                    "{} records, {} bytes covered",
                    s.record_count, s.covered_bytes
                ),
            },
        },
        Gate {
            name: "no_safety_violations",
            passed: s.high_severity_anomalies == 0,
            detail: format!("{} high-severity anomalies", s.high_severity_anomalies),
        },
    ];
    let metrics = vec![
        Metric {
            name: "coverage",
            points: s.coverage_percentage,
        },
        Metric {
            name: "error_penalty",
            points: -(s.error_count as f64) * ERROR_PENALTY,
        },
        Metric {
            name: "anomaly_penalty",
            points: -(s.medium_severity_anomalies as f64) * MEDIUM_PENALTY
                - (s.low_severity_anomalies as f64) * LOW_PENALTY,
        },
    ];
    let passed = gates.iter().all(|g| g.passed);
    let total = if passed {
        metrics
            .iter()
            .map(|m| m.points)
            .sum::<f64>()
            .clamp(0.0, 100.0)
    } else {
        0.0
    };
    let failed: Vec<&str> = gates.iter().filter(|g| !g.passed).map(|g| g.name).collect();
    let summary = if passed {
        format!(
            "{total:.1}/100: coverage {:.1}%, {} errors, {} anomalies",
            s.coverage_percentage, s.error_count, s.anomaly_count
        )
    } else {
        format!("0/100: failed {}", failed.join(", "))
    };
    Score {
        run_id: run.run_id.clone(),
        total_score: total,
        passed_hard_gates: passed,
        gates,
        metrics,
        summary,
    }
}

/// The best-scoring candidate that passes the gates; on a tie, fewer anomalies, then the
/// earlier candidate. `None` when no candidate passes.
pub fn find_best_scoring_run<'r>(
    candidates: &'r [RunArtifact],
    baseline: Option<&RunArtifact>,
) -> Option<(&'r RunArtifact, Score)> {
    let mut best: Option<(&RunArtifact, Score)> = None;
    for c in candidates {
        let s = score_run(c, baseline);
        if !s.passed_hard_gates {
            continue;
        }
        let better = match &best {
            None => true,
            Some((b, bs)) => {
                s.total_score > bs.total_score
                    || (s.total_score == bs.total_score
                        && c.stats.anomaly_count < b.stats.anomaly_count)
            }
        };
        if better {
            best = Some((c, s));
        }
    }
    best
}
