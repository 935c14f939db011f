//! `run --rerun-failed`: the tests of the latest run that are still outstanding, and the plan
//! that runs exactly them.
//!
//! Every run's start record keeps its scope ([`RunScope`]: the design filter, the harness
//! arguments, the targets) beside its missions' packages. The *base* of the latest run is the
//! run its chain of `--rerun-failed` runs began with. The base's scope, applied to the tests
//! the binaries list now, gives the planned tests; those that passed, were ignored or proved
//! flaky in any run of the chain are done; the rest (failing, crashed, timed out, stranded,
//! and never run: `--fail-fast` stopped the run, or it was killed) are outstanding.

use std::collections::HashSet;
use std::path::Path;

use exemplar_formats::Outcome;
use exemplar_store::RunRow;
use exemplar_store::records::RunScope;

use crate::errors::Error;
use crate::execute::binary::split_threads;
use crate::plan::{RunPlan, TargetFilter};

/// A test as the journal names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TestKey {
    mission: String,
    binary: String,
    name: String,
}

/// What the latest run left outstanding.
#[derive(Debug, Clone)]
pub struct Outstanding {
    /// The latest run.
    pub latest: String,
    /// The run its chain of reruns began with.
    pub base: String,
    /// The base run's scope.
    pub scope: RunScope,
    /// The packages of the base run's missions.
    pub packages: Vec<String>,
    done: HashSet<TestKey>,
}

impl Outstanding {
    /// Whether test `name` of binary `binary` in mission `mission` passed (or was ignored, or
    /// proved flaky) in a run of the chain.
    pub fn is_done(&self, mission: &str, binary: &str, name: &str) -> bool {
        self.done.contains(&TestKey {
            mission: mission.to_owned(),
            binary: binary.to_owned(),
            name: name.to_owned(),
        })
    }

    /// `plan` narrowed to the base run's packages and scope (command-line packages, when
    /// given, win); it runs the outstanding tests once the done ones are filtered out.
    pub fn plan(&self, plan: &RunPlan) -> Result<RunPlan, Error> {
        let mut out = plan.clone();
        if plan.selection.packages.is_empty() && !plan.selection.workspace {
            out.selection.packages = self.packages.clone();
        }
        out.selection.targets = targets(&self.scope.targets);
        out.design = self.scope.design.clone().unwrap_or_default();
        out.changed_since = None;
        out.harness_args = self.scope.harness_args.clone();
        out.harness_args.extend(split_threads(&plan.harness_args).1);
        // A shard's rerun is of the same shard: its tests are dealt as they were.
        out.partition = match self.scope.partition.as_deref() {
            None => plan.partition,
            Some(p) => {
                let stored: crate::partition::Partition =
                    p.parse().map_err(|e| Error::NothingToRerun {
                        why: format!("run {}: {e}", self.latest),
                    })?;
                if plan.partition.is_some_and(|given| given != stored) {
                    return Err(Error::NothingToRerun {
                        why: format!(
                            "run {} was shard {stored}; rerun it as that shard (leave --partition out)",
                            self.latest
                        ),
                    });
                }
                Some(stored)
            }
        };
        Ok(out)
    }

    /// The scope a rerun records: the base's, re-run from the latest run.
    pub fn rerun_scope(&self) -> RunScope {
        RunScope {
            rerun_of: Some(self.latest.clone()),
            ..self.scope.clone()
        }
    }
}

/// What the latest run in the journal at `dir` left outstanding.
pub fn outstanding(dir: &Path) -> Result<Outstanding, Error> {
    let nothing = |why: String| Error::NothingToRerun { why };
    if !dir.exists() {
        return Err(nothing(format!("no journal at {}", dir.display())));
    }
    let index = exemplar_store::open_index(dir)?;
    let runs = index.runs()?;
    let Some(latest) = runs.last() else {
        return Err(nothing(format!(
            "the journal at {} holds no run",
            dir.display()
        )));
    };
    if let Some(from) = latest
        .scope
        .as_ref()
        .and_then(|s| s.ingested_from.as_deref())
    {
        return Err(nothing(format!(
            "the latest run, {}, was ingested from another runner's report ({from}): rerun its failing tests with that runner, then ingest again",
            latest.run_id
        )));
    }
    let mut done = HashSet::new();
    let mut run: &RunRow = latest;
    loop {
        for o in index.outcomes(&run.run_id)? {
            let finished = Outcome::from_code(o.outcome)
                .is_some_and(|o| matches!(o, Outcome::Passed | Outcome::Ignored | Outcome::Flaky));
            let name = o.reference.split_once("::").map_or("", |(_, n)| n);
            if finished {
                done.insert(TestKey {
                    mission: o.mission,
                    binary: o.binary,
                    name: name.to_owned(),
                });
            }
        }
        let Some(scope) = &run.scope else {
            return Err(nothing(format!(
                "run {} was recorded by an older cargo-exemplar, which did not keep which tests it meant to run",
                run.run_id
            )));
        };
        let parent = scope.rerun_of.as_deref();
        match parent.and_then(|p| runs.iter().find(|r| r.run_id == p)) {
            Some(p) => run = p,
            None => break,
        }
    }
    Ok(Outstanding {
        latest: latest.run_id.clone(),
        base: run.run_id.clone(),
        scope: run.scope.clone().unwrap_or_default(),
        packages: run.missions.iter().map(|m| m.package.clone()).collect(),
        done,
    })
}

/// The scope a run records: its design filter, harness arguments and targets.
pub fn scope(design: &Option<String>, plan: &RunPlan) -> RunScope {
    let t = &plan.selection.targets;
    let mut targets = Vec::new();
    if t.lib {
        targets.push("--lib".to_owned());
    }
    if t.bins {
        targets.push("--bins".to_owned());
    }
    for name in &t.tests {
        targets.extend(["--test".to_owned(), name.clone()]);
    }
    RunScope {
        design: design.as_ref().map(|d| {
            d.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }),
        harness_args: split_threads(&plan.harness_args).0,
        targets,
        rerun_of: None,
        partition: plan.partition.map(|p| p.to_string()),
        run_group: plan.partition.and(plan.run_group.clone()),
        merged_from: Vec::new(),
        ingested_from: None,
    }
}

/// The target filter a scope's `targets` spell.
fn targets(args: &[String]) -> TargetFilter {
    let mut out = TargetFilter::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--lib" => out.lib = true,
            "--bins" => out.bins = true,
            "--test" => out.tests.extend(it.next().cloned()),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_spells_its_targets_and_leaves_the_threads_to_the_rerun() {
        let mut plan = RunPlan::default();
        plan.selection.targets.lib = true;
        plan.selection.targets.tests = vec!["kv".into()];
        plan.harness_args = ["3", "--test-threads", "3", "--exact"]
            .map(String::from)
            .to_vec();
        let s = scope(&Some("S1,S2".into()), &plan);
        assert_eq!(s.design, Some(vec!["S1".to_owned(), "S2".to_owned()]));
        assert_eq!(s.harness_args, vec!["3".to_owned(), "--exact".to_owned()]);
        assert_eq!(targets(&s.targets), plan.selection.targets);
        assert_eq!(scope(&Some(String::new()), &plan).design, Some(vec![]));
        assert_eq!(scope(&None, &plan).design, None);
    }
}
