//! A run from end to end: the stages in order, and the [`Session`] that renderers consume.
//!
//! discover → build → execute (each test's [`TestRecord`] is appended to the journal and folded
//! into its mission's tests in the same pass) → signal (loss and rewrite) → the session.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use exemplar_formats::run::{OtherBinary, SkippedPackage, Unrecorded};
use exemplar_formats::{OutcomeCounts, TestRecord};
use exemplar_mission::Fingerprint;
use exemplar_mission::update::Update;
use exemplar_store::records::{MissionStamp, NodeStamp, RunScope, RunStart};

use crate::build;
use crate::clock::RunClock;
use crate::discover::{self, Discovery, MissionPackage};
use crate::errors::Error;
use crate::execute::list::ListJob;
use crate::execute::{self, ExecOptions};
use crate::execution::Execution;
use crate::journal::{self, Recorder};
use crate::partition::Partition;
use crate::plan::RunPlan;
use crate::reporter::{Reporter, RunEvent};
use crate::rerun::{self, Outstanding};
use crate::signal;

/// One mission after the run.
#[derive(Debug)]
pub struct MissionResult {
    /// The package and its mission as read before the run.
    pub package: MissionPackage,
    /// Every test of the package's exemplar binaries, in arrival order; filtered tests have
    /// no outcome.
    pub tests: Vec<TestRecord>,
    /// The merged signal, history and loss.
    pub update: Update,
    /// Whether the file was rewritten.
    pub rewritten: bool,
}

/// Everything a run produced.
#[derive(Debug)]
pub struct Session {
    /// The run's id.
    pub run_id: String,
    /// Whether any test executed; a run that executed none recorded nothing.
    pub executed: bool,
    /// The workspace root.
    pub root: PathBuf,
    /// The journal the run was recorded in (`None`: not recorded).
    pub journal: Option<PathBuf>,
    /// Missions, in package order.
    pub missions: Vec<MissionResult>,
    /// Selected packages without a mission file.
    pub skipped: Vec<SkippedPackage>,
    /// Binaries that are not exemplar harnesses, or died before listing their tests.
    pub others: Vec<OtherBinary>,
    /// Counts by outcome.
    pub counts: OutcomeCounts,
    /// Flaky tests fail the run (`--flaky-result fail`).
    pub flaky_fails: bool,
    /// Planned tests that never started: `--fail-fast` stopped the run at a failure. They
    /// are not evidence of anything (their directives keep what they had).
    pub not_run: u64,
    /// `--rerun-failed`: the run whose outstanding tests this one ran.
    pub rerun_of: Option<String>,
    /// `--partition`: the shard this run is; it did not rewrite the mission files.
    pub partition: Option<Partition>,
    /// Tests dealt to the other shards (recorded as such, not run here).
    pub other_shards: u64,
    /// A merge (see [`merge`](crate::merge)): the shard runs this run is the union of.
    pub merged_from: Vec<String>,
    /// Writes the disk refused (full, read-only), and what of the run they left unrecorded.
    pub unrecorded: Vec<Unrecorded>,
    /// Wall time of the whole run, the build included.
    pub elapsed: Duration,
}

impl Session {
    /// Tests the run left outstanding for `run --rerun-failed`: failing, or never run.
    pub fn outstanding(&self) -> u64 {
        self.counts.failing() + self.not_run
    }

    /// Whether part of the run could not be recorded (see [`Session::unrecorded`]).
    pub fn unrecorded(&self) -> bool {
        !self.unrecorded.is_empty()
    }

    /// Whether anything failed.
    pub fn failed(&self) -> bool {
        self.counts.failing() > 0
            || (self.flaky_fails && self.counts.flaky > 0)
            || self.others.iter().any(|o| !o.ok)
    }
}

/// Run `plan`: discover, open the journal, build, execute, update the missions.
pub fn run(plan: &RunPlan, reporter: &mut dyn Reporter) -> Result<Session, Error> {
    let started = std::time::Instant::now();
    if let Some(t) = plan.timeout
        && t.is_zero()
    {
        return Err(Error::BadTimeout(0.0));
    }
    let rerun = match plan.rerun_failed {
        false => None,
        true => Some(outstanding(plan)?),
    };
    let narrowed = rerun.as_ref().map(|r| r.plan(plan)).transpose()?;
    let plan = narrowed.as_ref().unwrap_or(plan);
    let discovery = discover::discover(&plan.selection)?;
    let journal = journal::location(&plan.journal, &discovery.root);
    let mut recorder = match &journal {
        None => Recorder::nowhere(),
        Some(dir) => Recorder::open(dir, plan.wait, &mut |holder| {
            reporter.report(RunEvent::WaitingForJournal { dir, holder })
        })?,
    };
    if let Some(note) = recorder.recovery_note() {
        reporter.report(RunEvent::RecoveredJournal(&note));
    }
    if recorder.holds_lock() {
        for path in signal::sweep_temporaries(&discovery.packages) {
            let note = format!(
                "removed {}: a temporary file left by a mission rewrite that was cut short",
                path.display()
            );
            reporter.report(RunEvent::Warning(&note));
        }
    }
    let mut session = run_recorded(
        plan,
        discovery,
        journal,
        &mut recorder,
        reporter,
        rerun.as_ref(),
    )?;
    let unrecorded = recorder.close();
    session.unrecorded.splice(0..0, unrecorded);
    // The whole run's wall time: discovery, the build and closing the journal included.
    session.elapsed = started.elapsed();
    Ok(session)
}

/// What the latest run in the plan's journal left outstanding (`--rerun-failed`).
fn outstanding(plan: &RunPlan) -> Result<Outstanding, Error> {
    let manifest = plan.selection.manifest_path.as_deref();
    match discover::journal_dir(manifest, &plan.journal)? {
        Some(dir) => rerun::outstanding(&dir),
        None => Err(Error::NothingToRerun {
            why: "--no-journal: without a journal there is no latest run".into(),
        }),
    }
}

fn run_recorded(
    plan: &RunPlan,
    discovery: Discovery,
    journal: Option<PathBuf>,
    recorder: &mut Recorder,
    reporter: &mut dyn Reporter,
    rerun: Option<&Outstanding>,
) -> Result<Session, Error> {
    if !discovery.skipped.is_empty() {
        reporter.report(RunEvent::Skipping {
            packages: &discovery.skipped,
            root: &discovery.root,
        });
    }
    if let Some(p) = discovery
        .packages
        .iter()
        .find(|p| !p.dir.join("Cargo.toml").is_file())
    {
        return Err(Error::NotCargo {
            mission: p.mission.path.clone(),
        });
    }
    let design = run_design(plan, &discovery, reporter)?;
    let binaries = build::build(&plan.selection, &discovery.packages)?;
    let clock = RunClock::start(&discovery.packages);
    let run_id = new_run_id(&clock.started());
    let scope = match rerun {
        Some(r) => r.rerun_scope(),
        None => rerun::scope(&design, plan),
    };
    // A shard of the whole suite is recorded even when it held no test (its merge needs every
    // shard); a filtered run that executes nothing records nothing, shard or not.
    let record_empty = plan.partition.is_some()
        && rerun.is_none()
        && scope.design.is_none()
        && scope.harness_args.is_empty()
        && scope.targets.is_empty();
    let scratch = execute::scratch_dir()?;
    let mut jobs = Vec::new();
    for bin in &binaries {
        let Some(pkg) = discovery.packages.iter().find(|p| p.name == bin.package) else {
            continue;
        };
        let opts = ExecOptions {
            harness_args: harness_args(plan),
            design: design.clone(),
            isolate: plan.isolate,
            retries: plan.retries.or(pkg.retries).unwrap_or(0),
            slow_timeout: plan.slow_timeout,
            timeout: plan.timeout,
            no_capture: plan.no_capture,
            ..ExecOptions::for_package(&pkg.dir, &pkg.name, scratch.path())
        };
        jobs.push((bin, pkg, opts));
    }
    // Every binary is listed first, several at once; then each runs.
    let listing_jobs: Vec<ListJob<'_>> = jobs
        .iter()
        .map(|(bin, _, opts)| ListJob {
            exe: &bin.path,
            src_path: &bin.src_path,
            opts,
        })
        .collect();
    // Only the tests that run are dealt to shards: a libtest binary is asked which of its
    // tests are ignored (as nextest deals them, so an ignored test is ignored in every shard).
    let for_run = plan.partition.is_none();
    // The commit under test and the past durations are read while the binaries list their
    // tests (the build is done: cargo changes nothing in the tree from here).
    let (listings, commit, expected) = std::thread::scope(|s| {
        let commit = s.spawn(|| crate::git::describe(&discovery.root));
        let expected = s.spawn(|| {
            journal
                .as_deref()
                .map(journal::durations)
                .unwrap_or_default()
        });
        let listings = execute::list::list_binaries(&listing_jobs, &plan.harness_args, for_run);
        (listings, joined(commit), joined(expected))
    });
    recorder.begin(
        run_start(&run_id, &clock, &commit, plan, &discovery, scope),
        design_blobs(&discovery),
    );
    let mut run = Execution {
        recorder,
        reporter,
        counts: OutcomeCounts::default(),
        tests: HashMap::new(),
        incomplete: Vec::new(),
        warned: Vec::new(),
        others: Vec::new(),
        not_run: 0,
        expected,
    };
    let mut started = Vec::new();
    for ((bin, pkg, opts), listing) in jobs.iter().zip(listings) {
        if let Some(b) = run.start(bin, pkg, opts, listing?) {
            started.push(b);
        }
    }
    let other_shards = match &plan.partition {
        Some(p) => p.deal(&mut started.iter_mut().map(|b| b.deal()).collect::<Vec<_>>()),
        None => 0,
    };
    if let Some(r) = rerun {
        for b in &mut started {
            b.leave_done(r);
        }
    }
    run.execute(&mut started, &discovery.root, plan.fail_fast)?;
    for b in started {
        run.finish(b, &discovery.root)?;
    }
    run.reporter.report(RunEvent::Executed);
    if record_empty {
        run.recorder.begin_now();
    }
    let executed = run.recorder.begun();
    let Execution {
        counts,
        mut tests,
        incomplete,
        others,
        not_run,
        ..
    } = run;

    let stamp = signal::Stamp {
        timestamp: clock.started_text(),
        commit,
        note: plan.note.clone(),
        rewrite: plan.rewrite && executed && plan.partition.is_none(),
        partial: plan.selection.is_partial(),
    };
    let mut missions =
        signal::update_missions(&discovery.packages, &mut tests, &incomplete, &stamp);
    recorder.end(signal::run_end(&run_id, &clock, counts, &missions));
    // A run the journal could not wholly record leaves the mission files in step with it.
    let stamp = signal::Stamp {
        rewrite: stamp.rewrite && !recorder.stopped(),
        ..stamp
    };
    let unrecorded = signal::rewrite_missions(&mut missions, &stamp)?;
    Ok(Session {
        run_id,
        executed,
        root: discovery.root,
        journal,
        missions,
        skipped: discovery.skipped,
        others,
        counts,
        flaky_fails: plan.flaky_fails,
        not_run,
        rerun_of: rerun.map(|r| r.latest.clone()),
        partition: plan.partition,
        other_shards,
        merged_from: Vec::new(),
        unrecorded,
        elapsed: clock.elapsed(), // the tests' time; `run` adds the rest
    })
}

/// What a scoped thread returned; its panic goes on in the caller.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The harness arguments of a run: as given, but one test at a time when output streams
/// live (`--no-capture`), so that tests' output does not interleave.
fn harness_args(plan: &RunPlan) -> Vec<String> {
    if !plan.no_capture {
        return plan.harness_args.clone();
    }
    let (mut args, _) = crate::execute::binary::split_threads(&plan.harness_args);
    args.retain(|a| a != "--nocapture" && a != "--no-capture");
    args.extend(["--test-threads".to_owned(), "1".to_owned()]);
    args
}

fn run_start(
    run_id: &str,
    clock: &RunClock,
    commit: &Option<String>,
    plan: &RunPlan,
    discovery: &Discovery,
    scope: RunScope,
) -> RunStart {
    RunStart {
        scope: Some(scope),
        run_id: run_id.to_owned(),
        started_at: clock.started().as_second(),
        commit: commit.clone(),
        note: plan.note.clone(),
        missions: mission_stamps(discovery),
    }
}

/// The design of every mission of `discovery`, as a run's start records it.
pub(crate) fn mission_stamps(discovery: &Discovery) -> Vec<MissionStamp> {
    discovery
        .packages
        .iter()
        .map(|p| MissionStamp {
            mission: p.mission.id.clone(),
            package: p.name.clone(),
            nodes: design_stamps(&p.mission),
            design: Some(minicbor::bytes::ByteArray::from(
                *blake3::hash(&exemplar_mission::snapshot::snapshot(&p.mission.design).1)
                    .as_bytes(),
            )),
        })
        .collect()
}

/// The designs [`mission_stamps`] names, as the blobs the journal keeps before the run's start.
pub(crate) fn design_blobs(discovery: &Discovery) -> Vec<Vec<u8>> {
    discovery
        .packages
        .iter()
        .map(|p| exemplar_mission::snapshot::snapshot(&p.mission.design).1)
        .collect()
}

/// The fingerprint of every node of `mission`'s design, as a run records it.
pub(crate) fn design_stamps(mission: &exemplar_mission::Mission) -> Vec<NodeStamp> {
    mission
        .design
        .iter()
        .map(|n| NodeStamp {
            id: n.id.clone(),
            fingerprint: Fingerprint::of(n).to_hex(),
        })
        .collect()
}

/// The run's design filter: `--design`, and with `--changed` the directives that changed.
/// With `--changed` and no change at all, a filter that selects nothing.
fn run_design(
    plan: &RunPlan,
    discovery: &Discovery,
    reporter: &mut dyn Reporter,
) -> Result<Option<String>, Error> {
    let Some(rev) = &plan.changed_since else {
        return design_filter(discovery, &plan.design);
    };
    let changed = crate::changed::changed_since(discovery, rev)?;
    for note in &changed.notes {
        reporter.report(RunEvent::Warning(note));
    }
    reporter.report(RunEvent::Changed {
        since: rev,
        ids: &changed.ids,
    });
    let mut ids = plan.design.clone();
    ids.extend(changed.ids);
    Ok(design_filter(discovery, &ids)?.or(Some(String::new())))
}

/// `--design S1,S3`: the ids and their subtrees, checked against the missions.
pub fn design_filter(discovery: &Discovery, ids: &[String]) -> Result<Option<String>, Error> {
    if ids.is_empty() {
        return Ok(None);
    }
    let mut all: Vec<String> = Vec::new();
    for id in ids {
        let mut found = false;
        for p in &discovery.packages {
            if p.mission.node(id).is_some() {
                found = true;
                for s in p.mission.subtree(id) {
                    if !all.contains(&s) {
                        all.push(s);
                    }
                }
            }
        }
        if !found {
            return Err(Error::UnknownDesignId { id: id.clone() });
        }
    }
    Ok(Some(all.join(",")))
}

pub(crate) fn new_run_id(now: &jiff::Timestamp) -> String {
    let mut h = random_suffix(now.as_nanosecond(), std::process::id());
    h.truncate(6);
    format!("{}-{h}", now.strftime("%Y%m%dT%H%M%SZ"))
}

/// A short suffix from a randomly keyed hash of the clock and the pid (ids only need to be
/// unique, not secret).
fn random_suffix(nanos: i128, pid: u32) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i128(nanos);
    h.write_u32(pid);
    format!("{:016x}", h.finish())
}
