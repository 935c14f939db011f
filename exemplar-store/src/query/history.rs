//! A test's outcomes and a node's losses across runs, oldest first.

use std::collections::HashMap;

use crate::errors::Result;
use crate::index::{Index, RunRow, test_key};
use crate::records::Outcome;

/// One value of a directive's (or the mission's) loss history.
#[derive(Debug, Clone, PartialEq)]
pub struct LossPoint {
    /// Mission id.
    pub mission: String,
    /// Node id (empty for the mission's own loss).
    pub node: String,
    /// The run.
    pub run_id: String,
    /// When it started.
    pub started_at: i64,
    /// Loss.
    pub loss: f64,
}

/// A test's outcome in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct TestPoint {
    /// The run.
    pub run_id: String,
    /// When it started.
    pub started_at: i64,
    /// The outcome record.
    pub outcome: Outcome,
}

impl Index {
    /// The outcomes of the tests whose ref is `spec` or ends with `::spec`, oldest first.
    pub fn test_history(&self, spec: &str) -> Result<Vec<TestPoint>> {
        let suffix = format!("::{spec}");
        let wanted: std::collections::HashMap<u64, crate::records::TestDef> = self
            .test_defs()?
            .into_iter()
            .filter(|d| {
                d.reference == spec
                    || d.reference.ends_with(&suffix)
                    || test_key(&d.mission, &d.reference) == spec
            })
            .map(|d| (d.id, d))
            .collect();
        let mut out = Vec::new();
        if wanted.is_empty() {
            return Ok(out);
        }
        for run in self.runs()? {
            let mut points: Vec<TestPoint> = self
                .results(run.start_seq)?
                .iter()
                .filter_map(|r| {
                    let def = wanted.get(&r.test)?;
                    Some(TestPoint {
                        run_id: run.run_id.clone(),
                        started_at: run.started_at,
                        outcome: def.outcome(&run.run_id, r),
                    })
                })
                .collect();
            points.sort_by(|a, b| a.outcome.mission.cmp(&b.outcome.mission));
            out.append(&mut points);
        }
        Ok(out)
    }

    /// The loss history of a node (`""` for the mission itself) in every mission that has it.
    pub fn loss_history(&self, node: &str) -> Result<Vec<LossPoint>> {
        let mut out = Vec::new();
        self.each_loss(|p| {
            if p.node == node {
                out.push(p);
            }
        })?;
        Ok(out)
    }

    /// Every node's loss history in mission `mission`, by node id (`""`: the mission's own),
    /// read in one pass.
    pub fn loss_histories(&self, mission: &str) -> Result<HashMap<String, Vec<LossPoint>>> {
        let mut out: HashMap<String, Vec<LossPoint>> = HashMap::new();
        self.each_loss(|p| {
            if p.mission == mission {
                out.entry(p.node.clone()).or_default().push(p);
            }
        })?;
        Ok(out)
    }

    /// Every loss point, in the order of the runs (and of mission within a run, its own loss
    /// before its nodes'). A shard's losses are of part of the suite: no point of any curve.
    fn each_loss(&self, mut f: impl FnMut(LossPoint)) -> Result<()> {
        for run in self.runs_without_design()? {
            if run.partition().is_some() {
                continue;
            }
            for m in &run.losses {
                let point = |node: &str, loss: f64| LossPoint {
                    mission: m.mission.clone(),
                    node: node.to_owned(),
                    run_id: run.run_id.clone(),
                    started_at: run.started_at,
                    loss,
                };
                f(point("", m.loss));
                for n in &m.nodes {
                    f(point(&n.id, n.loss));
                }
            }
        }
        Ok(())
    }

    /// The loss of one node (`""`: the mission's own) of one mission in one run; `None` when
    /// the run did not measure it, and for a shard of a partitioned run.
    pub fn loss_at(&self, mission: &str, node: &str, run: &RunRow) -> Result<Option<f64>> {
        if run.partition().is_some() {
            return Ok(None);
        }
        let Some(m) = run.losses.iter().find(|m| m.mission == mission) else {
            return Ok(None);
        };
        if node.is_empty() {
            return Ok(Some(m.loss));
        }
        Ok(m.nodes.iter().find(|n| n.id == node).map(|n| n.loss))
    }
}
