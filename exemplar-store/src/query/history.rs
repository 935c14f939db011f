//! A test's outcomes and a node's losses across runs, oldest first.

use std::collections::HashMap;

use redb::{ReadableDatabase, ReadableTable};

use super::err;
use crate::errors::Result;
use crate::index::{Index, LOSS, RunRow, node_key, test_key};
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

    /// Every loss point, in the order of the runs (and of mission within a run).
    fn each_loss(&self, mut f: impl FnMut(LossPoint)) -> Result<()> {
        let tx = tri!(self, self.db.begin_read());
        let t = tri!(self, tx.open_table(LOSS));
        for item in tri!(self, t.iter()) {
            let (k, v) = tri!(self, item);
            let (_, key) = k.value();
            let Some((mission, n)) = key.split_once('\u{1f}') else {
                continue;
            };
            let (at, run, loss) = v.value();
            f(LossPoint {
                mission: mission.to_owned(),
                node: n.to_owned(),
                run_id: run.to_owned(),
                started_at: at,
                loss,
            });
        }
        Ok(())
    }

    /// The loss of one node of one mission in one run.
    pub fn loss_at(&self, mission: &str, node: &str, run: &RunRow) -> Result<Option<f64>> {
        let tx = tri!(self, self.db.begin_read());
        let t = tri!(self, tx.open_table(LOSS));
        let key = node_key(mission, node);
        Ok(tri!(self, t.get((run.start_seq, key.as_str()))).map(|v| v.value().2))
    }
}
