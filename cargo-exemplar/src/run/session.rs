//! The `run` command from end to end: discover, build, execute every test binary of the
//! selected mission packages (streaming each outcome to the sink), compute loss, rewrite the
//! mission files, report.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use exemplar::events::{Plan, TestInfo};
use exemplar_formats::OutcomeCounts;
use exemplar_mission::update::{self, Observed, RunInput, Update};
use exemplar_mission::{Fingerprint, Outcome, rewrite};

use crate::cli::{MessageFormat, RunArgs};
use crate::compile::{self, TestBinary};
use crate::errors::{Error, ExitCode};
use crate::journal::JournalSink;
use crate::report;
use crate::run::clock::{RunClock, rfc3339};
use crate::run::exec::{self, BinaryResult, ExecOptions, Progress as ExecProgress};
use crate::run::progress::Progress;
use crate::run::sink::{
    Deferred, MemorySink, MissionLoss, MissionStamp, RunEnd, RunStart, Sink, TestRecord,
};
use crate::style::ColorChoice;
use crate::workspace::{self, Discovery, MissionPackage};

/// A tagged test as this run saw it.
#[derive(Debug, Clone)]
pub struct SeenTest {
    /// Test binary.
    pub binary: String,
    /// The harness's listing.
    pub info: TestInfo,
    /// `tests/kv.rs::wal_ordering`.
    pub reference: String,
    /// File relative to the package.
    pub file: String,
    /// This run's outcome, if it ran (or was ignored).
    pub outcome: Option<Outcome>,
    /// Seconds.
    pub duration: f64,
    /// Failure message.
    pub message: Option<String>,
}

/// One mission after the run.
#[derive(Debug)]
pub struct MissionResult {
    /// The package and its mission as read before the run.
    pub package: MissionPackage,
    /// Tagged tests of the package.
    pub tests: Vec<SeenTest>,
    /// The merged signal, history and loss.
    pub update: Update,
    /// Whether the file was rewritten.
    pub rewritten: bool,
}

/// A plain (non-exemplar) binary's result.
#[derive(Debug, Clone)]
pub struct OtherBinary {
    /// Package.
    pub package: String,
    /// Target.
    pub target: String,
    /// Passed or failed as a whole.
    pub success: bool,
    /// What happened, in words.
    pub summary: String,
}

impl OtherBinary {
    /// Failed, or ran some tests: an empty unit-test binary that passed is noise.
    pub fn worth_showing(&self) -> bool {
        !self.success
            || !self
                .summary
                .starts_with("untagged tests: 0 passed, 0 failed")
    }
}

/// Everything a run produced.
#[derive(Debug)]
pub struct Session {
    /// The run's id.
    pub run_id: String,
    /// Whether any test executed; a run that executed none recorded nothing.
    pub executed: bool,
    /// Missions, in package order.
    pub missions: Vec<MissionResult>,
    /// Packages without a mission file: (name, path looked for).
    pub skipped: Vec<(String, std::path::PathBuf)>,
    /// Binaries that are not exemplar harnesses, or died before listing their tests.
    pub others: Vec<OtherBinary>,
    /// Counts by outcome.
    pub counts: OutcomeCounts,
    /// Wall time of the whole command.
    pub elapsed: Duration,
}

impl Session {
    /// Whether anything failed.
    pub fn failed(&self) -> bool {
        self.counts.failing() > 0 || self.others.iter().any(|o| !o.success)
    }
}

/// `cargo exemplar run`. `-- --list` lists the tests instead (as `cargo exemplar list`), and
/// `-- --help` shows the harness's options; neither runs a test.
pub fn command(args: &RunArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    if asks_for(&args.harness_args, &["--list"]) {
        return crate::list::command(&args.into(), color);
    }
    if asks_for(&args.harness_args, &["--help", "-h"]) {
        return harness_help(args);
    }
    let session = recorded(args, color)?;
    match args.message_format {
        MessageFormat::Human => print!("{}", report::table::render(&session, color.for_stdout())),
        MessageFormat::Json => println!("{}", report::json::render(&session)),
    }
    Ok(if session.failed() {
        ExitCode::Failed
    } else {
        ExitCode::Ok
    })
}

fn asks_for(harness_args: &[String], flags: &[&str]) -> bool {
    harness_args.iter().any(|a| flags.contains(&a.as_str()))
}

/// `run -- --help`: the options of the test harness, from a test binary itself.
fn harness_help(args: &RunArgs) -> Result<ExitCode, Error> {
    let discovery = workspace::discover(&args.selection)?;
    let binaries = compile::build(&args.selection, &discovery.packages)?;
    let Some(bin) = binaries
        .iter()
        .find(|b| b.kind == "test")
        .or(binaries.first())
    else {
        return Err(Error::Usage(
            "the selected packages have no test binary to ask for its options".into(),
        ));
    };
    println!(
        "Options of the test harness, given after `--` (cargo exemplar's own: `cargo exemplar run --help`):\n"
    );
    std::process::Command::new(&bin.path)
        .arg("--help")
        .stdin(std::process::Stdio::null())
        .status()
        .map_err(|source| Error::Io {
            action: "start",
            path: bin.path.clone(),
            source,
        })?;
    Ok(ExitCode::Ok)
}

/// Discover, open the journal (unless `--no-journal`), and run everything into it.
pub fn recorded(args: &RunArgs, color: ColorChoice) -> Result<Session, Error> {
    let discovery = workspace::discover(&args.selection)?;
    if args.no_journal {
        return execute(args, color, discovery, &mut MemorySink::default());
    }
    let dir = crate::journal::location(args.journal.as_deref(), &discovery.root);
    let style = color.for_stderr();
    let mut sink = JournalSink::open(&dir, !args.no_wait, &mut |pid| {
        eprintln!(
            "{:>12} for the journal at {} (another run, pid {pid}, is writing it)",
            style.warn("Waiting"),
            dir.display()
        );
    })?;
    if let Some(note) = sink.recovery_note() {
        eprintln!("{:>12} {note}", style.warn("Recovered"));
    }
    let session = execute(args, color, discovery, &mut sink)?;
    sink.close()?;
    Ok(session)
}

/// Run everything, streaming to `sink`; does not print the report.
pub fn execute(
    args: &RunArgs,
    color: ColorChoice,
    discovery: Discovery,
    sink: &mut dyn Sink,
) -> Result<Session, Error> {
    let started = Instant::now();
    if let Some(t) = args.timeout
        && !(t.is_finite() && t > 0.0)
    {
        return Err(Error::Usage(format!(
            "--timeout must be a positive number of seconds, not {t}"
        )));
    }
    let style = color.for_stderr();
    let progress = Progress::new(style);
    match discovery.skipped.as_slice() {
        [] => {}
        [(name, path)] => progress.line(&format!(
            "{:>12} package {name}: no mission file at {}",
            style.warn("Skipping"),
            workspace::relative_to(path, &discovery.root).display()
        )),
        many => progress.line(&format!(
            "{:>12} {} packages without a mission file: {}",
            style.warn("Skipping"),
            many.len(),
            many.iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    let design = design_filter(&discovery, &args.design)?;
    let binaries = compile::build(&args.selection, &discovery.packages)?;

    let clock = RunClock::start(&discovery.packages);
    let timestamp = clock.started_text();
    let run_id = new_run_id(&clock.started());
    let commit = crate::git::describe(&discovery.root);
    let start = RunStart {
        run_id: run_id.clone(),
        started_at: timestamp.clone(),
        commit: commit.clone(),
        note: args.note.clone(),
        missions: discovery
            .packages
            .iter()
            .map(|p| MissionStamp {
                id: p.mission.id.clone(),
                package: p.name.clone(),
                fingerprints: p
                    .mission
                    .design
                    .iter()
                    .map(|n| (n.id.clone(), Fingerprint::of(n).to_hex()))
                    .collect(),
            })
            .collect(),
    };
    let mut sink = Deferred::new(sink, start);

    let scratch = exec::scratch_dir()?;
    let mut counts = OutcomeCounts::default();
    let mut others = Vec::new();
    let mut per_package: HashMap<String, (Vec<SeenTest>, bool)> = HashMap::new();
    for bin in &binaries {
        let Some(pkg) = discovery.packages.iter().find(|p| p.name == bin.package) else {
            continue;
        };
        progress.binary(&bin.package, &bin.kind, &bin.target);
        let opts = ExecOptions {
            harness_args: args.harness_args.clone(),
            design: design.clone(),
            isolate: args.isolate,
            timeout: args.timeout.map(Duration::from_secs_f64),
            ..ExecOptions::for_package(&pkg.dir, &pkg.name, scratch.path())
        };
        let mut infos: HashMap<String, TestInfo> = HashMap::new();
        let mut sink_err = None;
        let mut on = |p: ExecProgress<'_>| match p {
            ExecProgress::Inventory(tests) => {
                let reported = tests.iter().filter(|t| t.plan != Plan::Filtered).count();
                progress.planned(reported as u64);
                for t in tests {
                    infos.insert(t.name.clone(), t.clone());
                }
            }
            ExecProgress::Started(_) => {}
            ExecProgress::Finished(f) => {
                progress.finished(&f.name, f.outcome, f.message.as_deref());
                counts.add(f.outcome);
                let info = infos.get(&f.name);
                let file = info
                    .map(|i| package_relative(&i.file, &discovery.root, &pkg.dir))
                    .unwrap_or_default();
                let record = TestRecord {
                    run_id: run_id.clone(),
                    package: pkg.name.clone(),
                    mission: pkg.mission.id.clone(),
                    binary: bin.target.clone(),
                    name: f.name.clone(),
                    reference: format!("{file}::{}", f.name),
                    file,
                    line: info.map(|i| i.line).unwrap_or(0),
                    ids: info.map(|i| i.ids.clone()).unwrap_or_default(),
                    outcome: f.outcome,
                    duration: f.duration,
                    message: f.message.clone(),
                    output: f.output.clone(),
                };
                if let Err(e) = sink.record(&record)
                    && sink_err.is_none()
                {
                    sink_err = Some(e);
                }
            }
        };
        let result = exec::run_binary(&bin.path, &opts, &mut on)?;
        if let Some(e) = sink_err {
            return Err(sink_error(e));
        }
        let entry = per_package
            .entry(pkg.name.clone())
            .or_insert_with(|| (Vec::new(), true));
        absorb(bin, pkg, &discovery, result, entry, &mut others);
    }
    progress.finish();
    // A run that executed no test (only filters, `--ignored` with nothing ignored) is no
    // evidence: it writes nothing, neither to the mission files nor to the journal.
    let executed = sink.begun();

    let mut missions = Vec::new();
    for pkg in &discovery.packages {
        let (tests, complete) = per_package.remove(&pkg.name).unwrap_or((Vec::new(), true));
        let input = RunInput {
            tests: tests
                .iter()
                .map(|t| Observed {
                    reference: t.reference.clone(),
                    spec_ids: t.info.ids.clone(),
                    outcome: t.outcome,
                    duration: t.duration,
                })
                .collect(),
            inventory_complete: complete,
            timestamp: timestamp.clone(),
            commit: commit.clone(),
            note: args.note.clone(),
            history_cap: pkg.history_cap,
        };
        let update = update::apply(&pkg.mission, &input);
        let mut rewritten = false;
        if update.changed && executed && !args.no_rewrite {
            let text = rewrite::render(&pkg.mission, &update.signal, &update.history)?;
            rewrite::write_atomic(&pkg.mission.path, &pkg.mission.source, &text)?;
            rewritten = true;
        }
        missions.push(MissionResult {
            package: pkg.clone(),
            tests,
            update,
            rewritten,
        });
    }
    let end = RunEnd {
        run_id: run_id.clone(),
        ended_at: rfc3339(clock.now()),
        counts,
        missions: missions
            .iter()
            .map(|m| MissionLoss {
                id: m.package.mission.id.clone(),
                loss: m.update.loss.mission,
                nodes: m
                    .update
                    .loss
                    .nodes
                    .iter()
                    .filter_map(|n| n.direct.map(|d| (n.id.clone(), d)))
                    .collect(),
            })
            .collect(),
    };
    sink.end(&end).map_err(sink_error)?;
    Ok(Session {
        run_id,
        executed,
        missions,
        skipped: discovery.skipped,
        others,
        counts,
        elapsed: started.elapsed(),
    })
}

fn absorb(
    bin: &TestBinary,
    pkg: &MissionPackage,
    discovery: &Discovery,
    result: BinaryResult,
    entry: &mut (Vec<SeenTest>, bool),
    others: &mut Vec<OtherBinary>,
) {
    match result {
        BinaryResult::Exemplar { inventory, results } => {
            let by_name: HashMap<&str, &exec::Finished> =
                results.iter().map(|r| (r.name.as_str(), r)).collect();
            for info in inventory {
                let file = package_relative(&info.file, &discovery.root, &pkg.dir);
                let r = by_name.get(info.name.as_str());
                entry.0.push(SeenTest {
                    binary: bin.target.clone(),
                    reference: format!("{file}::{}", info.name),
                    file,
                    outcome: r.map(|r| r.outcome),
                    duration: r.map(|r| r.duration).unwrap_or(0.0),
                    message: r.and_then(|r| r.message.clone()),
                    info,
                });
            }
        }
        BinaryResult::Plain {
            success,
            passed,
            failed,
            status,
        } => others.push(OtherBinary {
            package: bin.package.clone(),
            target: format!("{} ({})", bin.target, bin.kind),
            success,
            summary: format!("untagged tests: {passed} passed, {failed} failed; {status}"),
        }),
        BinaryResult::Died { status, output } => {
            entry.1 = false;
            let last = output.lines().rev().take(5).collect::<Vec<_>>();
            others.push(OtherBinary {
                package: bin.package.clone(),
                target: format!("{} ({})", bin.target, bin.kind),
                success: false,
                summary: format!(
                    "the test binary {status} before listing its tests; last output:\n{}",
                    last.into_iter().rev().collect::<Vec<_>>().join("\n")
                ),
            });
        }
    }
}

/// `file!()` is relative to the workspace root (where cargo runs rustc) or absolute; the
/// signal shows it relative to the package.
fn package_relative(file: &str, root: &Path, pkg_dir: &Path) -> String {
    let p = Path::new(file);
    let abs = if p.is_absolute() {
        p.to_owned()
    } else {
        root.join(p)
    };
    abs.strip_prefix(pkg_dir)
        .map(|r| r.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| file.to_owned())
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
            return Err(Error::Usage(format!(
                "--design {id}: no selected mission has a design node `{id}`"
            )));
        }
    }
    Ok(Some(all.join(",")))
}

fn new_run_id(now: &jiff::Timestamp) -> String {
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

fn sink_error(e: crate::run::sink::SinkError) -> Error {
    Error::Io {
        action: "record the run in",
        path: "the journal".into(),
        source: std::io::Error::other(e),
    }
}
