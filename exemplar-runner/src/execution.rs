//! The execute stage's bookkeeping: every listed binary's tests run, and every test becomes one
//! [`TestRecord`] — sent to the reporter and the journal the moment it ends, and folded into
//! its package's tests.
//!
//! The tests of every binary of a run, whichever its harness, share one pool of worker
//! processes (a slow binary does not hold the others back), scheduled with the packages'
//! test groups.

use std::collections::HashMap;
use std::path::Path;

use exemplar_formats::events::{Plan, TestInfo};
use exemplar_formats::run::OtherBinary;
use exemplar_formats::{Outcome, OutcomeCounts, TestRecord};

use crate::build::TestBinary;
use crate::discover::MissionPackage;
use crate::errors::Error;
use crate::execute::schedule::GroupLimit;
use crate::execute::workers::{self, PlannedTest, Pool, PoolJob};
use crate::execute::{self, ExecOptions, Finished, Harness, Inventory, Listing, Progress};
use crate::groups;
use crate::journal::Recorder;
use crate::partition::Deal;
use crate::records::{filtered_record, test_record};
use crate::reporter::{Reporter, RunEvent};
use crate::rerun::Outstanding;

/// The execute stage's state: every record goes to the journal and into its package's tests
/// as it arrives.
pub(crate) struct Execution<'a> {
    pub(crate) recorder: &'a mut Recorder,
    pub(crate) reporter: &'a mut dyn Reporter,
    pub(crate) counts: OutcomeCounts,
    /// Package name → its tests.
    pub(crate) tests: HashMap<String, Vec<TestRecord>>,
    /// Packages with a binary that never listed its tests.
    pub(crate) incomplete: Vec<String>,
    /// Packages already warned of a harness of another version.
    pub(crate) warned: Vec<String>,
    pub(crate) others: Vec<OtherBinary>,
    /// Planned tests that never started (`--fail-fast` stopped the run).
    pub(crate) not_run: u64,
    /// How long each test (binary, name) took when it last ran, from the journal: the
    /// longest start first, each long one in a process of its own.
    pub(crate) expected: crate::journal::Durations,
}

/// A listed binary of the run: what it listed, and the records of its tests that ended.
pub(crate) struct BinaryInRun<'b> {
    bin: &'b TestBinary,
    pkg: &'b MissionPackage,
    opts: &'b ExecOptions,
    inventory: Inventory,
    /// Test name → its place in `inventory.tests`.
    by_name: HashMap<String, usize>,
    arrived: Vec<TestRecord>,
    /// How many tests end while the pool runs (run or ignored); the stranded come after.
    expecting: usize,
    /// How its tests ended, for its `BinaryFinished`.
    counts: OutcomeCounts,
    /// Whether its `BinaryFinished` was reported.
    done: bool,
}

impl BinaryInRun<'_> {
    /// What the listing says of test `name`.
    fn info(&self, name: &str) -> Option<&TestInfo> {
        self.by_name.get(name).map(|i| &self.inventory.tests[*i])
    }

    /// This binary's tests, to be dealt to the shards of a partitioned run.
    pub(crate) fn deal(&mut self) -> Deal<'_> {
        Deal::of(self.bin, &mut self.inventory.tests)
    }

    /// Filter out the tests that passed in the chain of runs `o` looks back on
    /// (`--rerun-failed`): the rest are outstanding, and run.
    pub(crate) fn leave_done(&mut self, o: &Outstanding) {
        let (mission, binary) = (&self.pkg.mission.id, &self.bin.target);
        for t in &mut self.inventory.tests {
            let dealt = matches!(t.plan, Plan::Run | Plan::Ignored);
            if dealt && o.is_done(mission, binary, &t.name) {
                t.plan = Plan::Filtered;
            }
        }
    }
}

impl<'b> Execution<'_> {
    /// Take a binary's listing: `None` when it could not list its tests (it is shown as such).
    pub(crate) fn start(
        &mut self,
        bin: &'b TestBinary,
        pkg: &'b MissionPackage,
        opts: &'b ExecOptions,
        listing: Listing,
    ) -> Option<BinaryInRun<'b>> {
        let inventory = match listing {
            Listing::Listed(inventory) => inventory,
            Listing::Failed { status, output } => {
                self.incomplete.push(pkg.name.clone());
                let last: Vec<&str> = output.lines().rev().take(5).collect();
                let summary = format!(
                    "the test binary {status} before listing its tests; last output:\n{}",
                    last.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
                self.others.push(other(bin, false, summary));
                return None;
            }
        };
        self.version_advice(pkg, &inventory);
        if let Some(e) = &inventory.links_error {
            self.reporter.report(RunEvent::Warning(e));
        }
        let mut by_name = HashMap::with_capacity(inventory.tests.len());
        for (i, t) in inventory.tests.iter().enumerate() {
            by_name.entry(t.name.clone()).or_insert(i);
        }
        Some(BinaryInRun {
            bin,
            pkg,
            opts,
            inventory,
            by_name,
            arrived: Vec::new(),
            expecting: 0,
            counts: OutcomeCounts::default(),
            done: false,
        })
    }

    /// Run every started binary's planned tests in one pool; with `fail_fast`, the tests that
    /// never started are kept as not run.
    pub(crate) fn execute(
        &mut self,
        started: &mut [BinaryInRun<'_>],
        root: &Path,
        fail_fast: bool,
    ) -> Result<(), Error> {
        for b in started.iter_mut() {
            self.planned(b);
            if b.inventory.harness == Harness::Exemplar {
                self.ignored(b, root)?;
            }
        }
        let mut pool = Pool {
            fail_fast,
            ..Pool::default()
        };
        let mut group_keys: Vec<(&str, &str)> = Vec::new();
        let mut jobs = Vec::new();
        for b in started.iter() {
            let mut planned = Vec::new();
            for name in planned_names(&b.inventory) {
                let group = groups::group_of(&b.pkg.groups, &name).map(|g| {
                    let key = (b.pkg.name.as_str(), g.name.as_str());
                    group_keys
                        .iter()
                        .position(|k| *k == key)
                        .unwrap_or_else(|| {
                            group_keys.push(key);
                            pool.groups.push(GroupLimit {
                                max_threads: g.max_threads,
                                alone: g.alone,
                            });
                            pool.group_retries.push(g.retries);
                            group_keys.len() - 1
                        })
                });
                let key = (b.bin.target.clone(), name.clone());
                let expected = self.expected.get(&key).copied().unwrap_or(0.0);
                planned.push(PlannedTest {
                    name,
                    group,
                    expected,
                });
            }
            let mut job = PoolJob::new(&b.bin.path, b.inventory.harness, b.opts, planned);
            job.whole = job.planned.len() == b.inventory.tests.len();
            jobs.push(job);
        }
        let mut failure = None;
        let unrun = workers::run_many(&jobs, &pool, &mut |job, p| {
            if let Err(e) = self.progress(&mut started[job], root, p) {
                failure.get_or_insert(e);
            }
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        for u in unrun {
            let b = &mut started[u.job];
            for name in u.names {
                if let Some(info) = b.info(&name) {
                    let mut record = filtered_record(b.bin, b.pkg, root, info);
                    record.plan = Plan::Run;
                    b.arrived.push(record);
                    self.not_run += 1;
                }
            }
        }
        Ok(())
    }

    /// Record the ignored tests of an exemplar harness, which runs only the tests it is named.
    fn ignored(&mut self, b: &mut BinaryInRun<'_>, root: &Path) -> Result<(), Error> {
        let ignored: Vec<Finished> = b
            .inventory
            .tests
            .iter()
            .filter(|t| t.plan == Plan::Ignored)
            .map(|t| Finished {
                name: t.name.clone(),
                outcome: Outcome::Ignored,
                duration: 0.0,
                message: t.ignore_reason.clone(),
                output: None,
            })
            .collect();
        for f in &ignored {
            self.progress(b, root, Progress::Finished(f))?;
        }
        Ok(())
    }

    /// Tell the reporter how many tests of `b` will be reported.
    fn planned(&mut self, b: &mut BinaryInRun<'_>) {
        self.reporter.report(RunEvent::BinaryStarted(b.bin));
        let all = b.inventory.tests.iter().chain(&b.inventory.stranded);
        let reported = all
            .filter(|t| !matches!(t.plan, Plan::Filtered | Plan::OtherShard))
            .count();
        self.reporter.report(RunEvent::Planned(reported as u64));
        b.expecting = b
            .inventory
            .tests
            .iter()
            .filter(|t| matches!(t.plan, Plan::Run | Plan::Ignored))
            .count();
        let stranded = b.inventory.stranded.iter().any(|t| t.plan == Plan::Run);
        if b.expecting == 0 && !stranded {
            self.binary_done(b);
        }
    }

    /// What a test of `b` did: to the reporter, the journal and `b`'s records.
    fn progress(
        &mut self,
        b: &mut BinaryInRun<'_>,
        root: &Path,
        p: Progress<'_>,
    ) -> Result<(), Error> {
        match p {
            Progress::Inventory(_) => {}
            Progress::Warning(text) => self.reporter.report(RunEvent::Warning(text)),
            Progress::Started(name) => self.reporter.report(RunEvent::TestStarted {
                binary: b.bin,
                name,
            }),
            Progress::Slow { name, seconds } => self.reporter.report(RunEvent::TestSlow {
                binary: b.bin,
                name,
                seconds,
            }),
            Progress::Finished(f) => {
                let info = b.info(&f.name);
                let record = test_record(b.bin, b.pkg, root, info, f);
                self.counts.add(f.outcome);
                b.counts.add(f.outcome);
                self.reporter.report(RunEvent::TestFinished {
                    binary: b.bin,
                    record: &record,
                });
                self.recorder.record(&record);
                b.arrived.push(record);
                let stranded = b.inventory.stranded.iter().any(|t| t.plan == Plan::Run);
                if b.arrived.len() == b.expecting && !stranded {
                    self.binary_done(b);
                }
            }
            Progress::Amended(f) => {
                // The journal keeps the last record of a test in a run: the amended one.
                if let Some(record) = b.arrived.iter_mut().rev().find(|r| r.name == f.name) {
                    let before = (record.message.clone(), record.output.clone());
                    record.output = f.output.clone();
                    record.message = f.message.clone().or(record.message.take());
                    if let Some(was) = record.outcome.filter(|o| *o != f.outcome) {
                        self.counts.recount(was, f.outcome);
                        b.counts.recount(was, f.outcome);
                        record.outcome = Some(f.outcome);
                        self.reporter.report(RunEvent::TestAmended {
                            binary: b.bin,
                            record,
                        });
                    } else if before != (record.message.clone(), record.output.clone()) {
                        self.reporter.report(RunEvent::TestUpdated {
                            binary: b.bin,
                            record,
                        });
                    }
                    self.recorder.record(record);
                }
            }
        }
        Ok(())
    }

    /// After the run: `b`'s stranded tests recorded, and every test of it, filtered ones too,
    /// in its package's tests.
    pub(crate) fn finish(&mut self, mut b: BinaryInRun<'_>, root: &Path) -> Result<(), Error> {
        let inventory = &b.inventory;
        for info in inventory.stranded.iter().filter(|i| i.plan == Plan::Run) {
            let f = stranded(info, inventory.harness);
            let record = test_record(b.bin, b.pkg, root, Some(info), &f);
            self.counts.add(f.outcome);
            b.counts.add(f.outcome);
            self.reporter.report(RunEvent::TestFinished {
                binary: b.bin,
                record: &record,
            });
            self.recorder.record(&record);
            b.arrived.push(record);
        }
        let tests = self.tests.entry(b.pkg.name.clone()).or_default();
        tests.append(&mut b.arrived);
        let all = inventory.tests.iter().chain(&inventory.stranded);
        for info in all.filter(|i| matches!(i.plan, Plan::Filtered | Plan::OtherShard)) {
            let mut record = filtered_record(b.bin, b.pkg, root, info);
            if info.plan == Plan::OtherShard {
                record.plan = Plan::OtherShard;
                self.recorder.in_other_shard(&record);
            }
            tests.push(record);
        }
        self.binary_done(&mut b);
        Ok(())
    }

    /// Report once that every test `b` planned has ended.
    fn binary_done(&mut self, b: &mut BinaryInRun<'_>) {
        if !std::mem::replace(&mut b.done, true) {
            self.reporter.report(RunEvent::BinaryFinished {
                binary: b.bin,
                counts: &b.counts,
            });
        }
    }

    /// Say once per package when its exemplar harness is of another version than this runner.
    fn version_advice(&mut self, pkg: &MissionPackage, inventory: &Inventory) {
        if inventory.harness != Harness::Exemplar || self.warned.contains(&pkg.name) {
            return;
        }
        let runner = env!("CARGO_PKG_VERSION");
        let harness = inventory.harness_version.as_deref();
        if let Some(advice) = execute::binary::version_advice(&pkg.name, harness, runner) {
            self.warned.push(pkg.name.clone());
            self.reporter.report(RunEvent::Warning(&advice));
        }
    }
}

/// The tests a binary's inventory plans to run: a libtest binary's ignored ones too (libtest
/// reports them ignored itself).
fn planned_names(inventory: &Inventory) -> Vec<String> {
    let runs = |t: &&TestInfo| match inventory.harness {
        Harness::Libtest => matches!(t.plan, Plan::Run | Plan::Ignored),
        Harness::Exemplar => t.plan == Plan::Run,
    };
    inventory
        .tests
        .iter()
        .filter(runs)
        .map(|t| t.name.clone())
        .collect()
}

/// The outcome of a tagged function that no harness of its binary runs.
fn stranded(info: &TestInfo, harness: Harness) -> Finished {
    let why = match harness {
        Harness::Exemplar if info.ids.is_empty() => {
            "a #[test] in a harness = false target is compiled out: tag it #[design(...)] without #[test], or move it to a target with the default harness"
        }
        Harness::Exemplar => {
            "#[design] tags it, but this binary's harness is exemplar::main!(), which runs plain #[design] functions: a #[test] under it is compiled out (remove #[test])"
        }
        Harness::Libtest => {
            "#[design] tags it, but libtest has no test of that name in this binary: put #[test] (or your test crate's attribute) under #[design], or end the file with exemplar::main!() and set harness = false"
        }
    };
    Finished {
        name: info.name.clone(),
        outcome: Outcome::Stranded,
        duration: 0.0,
        message: Some(format!("compiled but never run: {why}")),
        output: None,
    }
}

/// A binary shown for itself, not through its tests.
fn other(bin: &TestBinary, ok: bool, summary: String) -> OtherBinary {
    OtherBinary {
        package: bin.package.clone(),
        target: format!("{} ({})", bin.target, bin.kind),
        ok,
        summary,
    }
}
