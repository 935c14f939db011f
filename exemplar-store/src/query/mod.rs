//! Questions over the journal's history, answered from the index.
//!
//! Run ids may be given whole or by a unique prefix, or as `latest`. Finding runs lives here;
//! a test's or a node's history in `history`, what changed between runs (and flaky tests) in
//! `diff`, and blob contents in `blob`.

use exemplar_formats::{Outcome as TestOutcome, OutcomeCounts};
use std::path::Path;

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

use crate::errors::{Result, StoreError};
use crate::index::{
    Index, RESULTS, RUN_ORDER, RUNS, RunRow, STAMPS, TEST_DEFS, results, rows, test_def,
};
use crate::records::Outcome;
use crate::records::{TestDef, TestResult};

/// A point in history, for `--at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// A run id (or unique prefix, or `latest`).
    Run(String),
    /// The last run started at or before this unix time.
    Time(i64),
    /// The last run of a commit (prefix of the hash).
    Commit(String),
}

/// The error for a failure of the index database at `path`.
fn err(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> StoreError + '_ {
    move |e| StoreError::Index {
        path: path.to_owned(),
        detail: e.to_string(),
    }
}

macro_rules! tri {
    ($self:expr, $e:expr) => {
        $e.map_err(|e| err(&$self.path)(&e))?
    };
}

mod blob;
mod diff;
mod history;

pub use diff::RunDiff;
pub use history::{LossPoint, TestPoint};

impl Index {
    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        self.each_run(true)
    }

    /// Every run, oldest first, without its design fingerprints (`missions` is empty): for
    /// questions of losses and counts, which need not decode them.
    pub(crate) fn runs_without_design(&self) -> Result<Vec<RunRow>> {
        self.each_run(false)
    }

    /// Every run, oldest first, with its design fingerprints when `design`.
    fn each_run(&self, design: bool) -> Result<Vec<RunRow>> {
        let tx = tri!(self, self.db.begin_read());
        let order = tri!(self, tx.open_table(RUN_ORDER));
        let runs = tri!(self, tx.open_table(RUNS));
        let mut rows = rows::RowReader::new(tri!(self, tx.open_table(STAMPS)));
        let mut out = Vec::new();
        for item in tri!(self, order.iter()) {
            let (_, v) = tri!(self, item);
            let Some(v) = tri!(self, runs.get(v.value())) else {
                continue;
            };
            let row = match design {
                true => tri!(self, rows.row(v.value())),
                false => rows::split(v.value()).map(|(_, row)| row),
            };
            out.extend(row);
        }
        Ok(out)
    }

    /// The run `back` runs before the latest (0: the latest), read alone.
    fn latest(&self, back: usize) -> Result<Option<RunRow>> {
        let id = {
            let tx = tri!(self, self.db.begin_read());
            let order = tri!(self, tx.open_table(RUN_ORDER));
            let mut rev = tri!(self, order.iter()).rev();
            match rev.nth(back) {
                Some(item) => tri!(self, item).1.value().to_owned(),
                None => return Ok(None),
            }
        };
        self.run(&id)
    }

    /// The id of each run, by the sequence of its start.
    pub(crate) fn run_ids(&self) -> Result<std::collections::HashMap<u64, String>> {
        let tx = tri!(self, self.db.begin_read());
        let order = tri!(self, tx.open_table(RUN_ORDER));
        let mut out = std::collections::HashMap::new();
        for item in tri!(self, order.iter()) {
            let (k, v) = tri!(self, item);
            out.insert(k.value(), v.value().to_owned());
        }
        Ok(out)
    }

    /// How many runs the journal holds.
    fn run_count(&self) -> Result<u64> {
        let tx = tri!(self, self.db.begin_read());
        let order = tri!(self, tx.open_table(RUN_ORDER));
        Ok(tri!(self, order.len()))
    }

    /// A run by id, unique prefix, or `latest`.
    pub fn find_run(&self, spec: &str) -> Result<RunRow> {
        let back = match spec.split_once('~') {
            Some(("latest" | "last", n)) => Some(n.parse::<usize>().map_err(|_| {
                StoreError::NotFound(format!("`{spec}`: expected latest~N with N a number"))
            })?),
            _ if spec == "latest" || spec == "last" => Some(0),
            _ => None,
        };
        if let Some(back) = back {
            return self.latest(back)?.ok_or_else(|| match self.run_count() {
                Ok(0) => StoreError::NotFound("the journal has no runs yet".into()),
                Ok(n) => StoreError::NotFound(format!("`{spec}`: the journal has only {n} runs")),
                Err(e) => e,
            });
        }
        let runs = self.runs()?;
        if let Some(r) = runs.iter().find(|r| r.run_id == spec) {
            return Ok(r.clone());
        }
        let matches: Vec<&RunRow> = runs.iter().filter(|r| r.run_id.starts_with(spec)).collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(StoreError::NotFound(format!(
                "no run `{spec}` in the journal"
            ))),
            many => Err(StoreError::NotFound(format!(
                "`{spec}` matches {} runs; give more of the id",
                many.len()
            ))),
        }
    }

    /// The run that was current at a point in history.
    pub fn resolve_at(&self, at: &At) -> Result<RunRow> {
        match at {
            At::Run(spec) => self.find_run(spec),
            At::Time(t) => self
                .runs()?
                .into_iter()
                .rev()
                .find(|r| r.started_at <= *t)
                .ok_or_else(|| StoreError::NotFound("no run had started by then".into())),
            At::Commit(c) => self
                .runs()?
                .into_iter()
                .rev()
                .find(|r| {
                    r.commit
                        .as_deref()
                        .is_some_and(|rc| rc.starts_with(c.as_str()))
                })
                .ok_or_else(|| StoreError::NotFound(format!("no run of commit `{c}`"))),
        }
    }

    /// How long each test of the latest complete run (of the last `look_back` runs) took:
    /// binary, reference and seconds, in no order. Cheaper than [`Index::outcomes`]: nothing
    /// is sorted and no outcome is built.
    pub fn latest_durations(&self, look_back: usize) -> Result<Vec<(String, String, f64)>> {
        for back in 0..look_back {
            let Some(run) = self.latest(back)? else {
                break;
            };
            if !run.complete() {
                continue;
            }
            let results = self.results(run.start_seq)?;
            let defs = self.defs(results.iter().map(|r| r.test))?;
            return Ok(results
                .iter()
                .filter_map(|r| {
                    let d = defs.get(&r.test)?;
                    Some((d.binary.clone(), d.reference.clone(), r.duration))
                })
                .collect());
        }
        Ok(Vec::new())
    }

    /// The outcomes of a run, by mission and ref (a test's last, when it has several).
    pub fn outcomes(&self, run_id: &str) -> Result<Vec<Outcome>> {
        let Some(run) = self.run(run_id)? else {
            return Ok(Vec::new());
        };
        let results = self.results(run.start_seq)?;
        let defs = self.defs(results.iter().map(|r| r.test))?;
        let mut out: Vec<Outcome> = results
            .iter()
            .filter_map(|r| Some(defs.get(&r.test)?.outcome(run_id, r)))
            .collect();
        out.sort_by(|a, b| (&a.mission, &a.reference).cmp(&(&b.mission, &b.reference)));
        Ok(out)
    }

    /// The results of the run whose start is record `start_seq`, each test's last.
    pub(crate) fn results(&self, start_seq: u64) -> Result<Vec<TestResult>> {
        let tx = tri!(self, self.db.begin_read());
        let t = tri!(self, tx.open_table(RESULTS));
        let mut packed = Vec::new();
        for item in tri!(self, t.range((start_seq, 0)..=(start_seq, u32::MAX))) {
            let (_, v) = tri!(self, item);
            packed.extend_from_slice(v.value());
        }
        Ok(results::unpack(&packed))
    }

    /// The definitions of tests `ids` (those the index has).
    pub(crate) fn defs(
        &self,
        ids: impl Iterator<Item = u64>,
    ) -> Result<std::collections::HashMap<u64, TestDef>> {
        let tx = tri!(self, self.db.begin_read());
        let t = tri!(self, tx.open_table(TEST_DEFS));
        let mut out = std::collections::HashMap::new();
        for id in ids {
            if out.contains_key(&id) {
                continue;
            }
            if let Some(def) = tri!(self, t.get(id)).and_then(|v| test_def(v.value())) {
                out.insert(id, def);
            }
        }
        Ok(out)
    }

    /// Every test definition the index has.
    pub fn test_defs(&self) -> Result<Vec<TestDef>> {
        let tx = tri!(self, self.db.begin_read());
        let t = tri!(self, tx.open_table(TEST_DEFS));
        let mut out = Vec::new();
        for item in tri!(self, t.iter()) {
            let (_, v) = tri!(self, item);
            out.extend(test_def(v.value()));
        }
        Ok(out)
    }

    /// Counts by outcome of a run: from its end record, or counted when it has none.
    pub fn counts(&self, run: &RunRow) -> Result<OutcomeCounts> {
        if run.complete()
            && let Some(c) = OutcomeCounts::from_codes(&run.counts)
        {
            return Ok(c);
        }
        let mut c = OutcomeCounts::default();
        for o in self.outcomes(&run.run_id)? {
            if let Some(outcome) = TestOutcome::from_code(o.outcome) {
                c.add(outcome);
            }
        }
        Ok(c)
    }
}
