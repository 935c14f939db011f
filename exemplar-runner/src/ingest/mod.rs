//! Results from other runners (`cargo exemplar ingest`): a JUnit XML file (cargo-nextest,
//! pytest `--junitxml`, go test through gotestsum, jest-junit) or a pytest report-log, made
//! into a run as if exemplar had run the tests — journaled, its loss measured, its mission
//! file rewritten.
//!
//! Each case is linked to its mission's directives by its report's own `design` property, a
//! `@design(...)` marker in its name, or one in its source ([`markers`]). Its reference is
//! what the mission's `signal:` calls it: a pytest node id (`tests/test_kv.py::test_wal`),
//! else its source file and name, else its classname and name. A case whose directives the
//! mission does not have keeps the others and is warned of; a case of no mission (in a
//! workspace of several) is counted and warned of, never dropped in silence.
//!
//! A report need not hold the whole suite (`pytest -k`, one shard): unless `--complete` says
//! it does, tests of the mission's signal that the report does not hold keep their evidence.
//! A report-log cut short (no `SessionFinish`) is partial whatever `--complete` says.

mod case;
pub mod junit;
pub mod markers;
pub mod reportlog;

use std::collections::HashMap;
use std::path::PathBuf;

use exemplar_formats::events::Plan;
use exemplar_formats::{Outcome, TestRecord};
use exemplar_store::records::{RunScope, RunStart};

use case::ForeignCase;

use crate::clock::RunClock;
use crate::discover::{self, Discovery, MissionPackage};
use crate::errors::Error;
use crate::journal::{self, Recorder};
use crate::made::MadeRun;
use crate::plan::{JournalChoice, Selection};
use crate::reporter::{Reporter, RunEvent};
use crate::session::Session;
use crate::signal;
use markers::{Found, Sources};

/// The kind of a report file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// JUnit XML.
    Junit,
    /// A pytest report-log (JSON lines).
    PytestReportLog,
}

/// A report file to ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    /// Its kind.
    pub kind: ReportKind,
    /// Where it is.
    pub path: PathBuf,
}

/// What to ingest, and where.
#[derive(Debug, Clone, Default)]
pub struct IngestPlan {
    /// The mission(s): the workspace's packages, or a mission file outside Cargo
    /// (`selection.mission`).
    pub selection: Selection,
    /// The journal.
    pub journal: JournalChoice,
    /// The reports, read in order; a test in several takes its last result.
    pub reports: Vec<ReportFile>,
    /// Where the tests' source files are (default: each mission's folder).
    pub source_root: Option<PathBuf>,
    /// The reports hold the whole suite: a test of the signal they lack is gone.
    pub complete: bool,
    /// Rewrite the mission files.
    pub rewrite: bool,
    /// A note for the history entry.
    pub note: Option<String>,
    /// Wait for a journal another process holds (else fail at once).
    pub wait: bool,
}

/// Ingest the reports of `plan` as one run.
pub fn ingest(plan: &IngestPlan, reporter: &mut dyn Reporter) -> Result<Session, Error> {
    let discovery = discover::discover(&plan.selection)?;
    let read = read_reports(&plan.reports)?;
    let mut partial = !plan.complete;
    if let Some(cut) = &read.cut_short {
        partial = true;
        reporter.report(RunEvent::Warning(&format!(
            "{} ends before pytest's session finished (was it killed?): its tests are taken as a part of the suite",
            cut.display()
        )));
    }
    let tests = link_all(&discovery, plan, &read, reporter);
    let clock = RunClock::start(&discovery.packages);
    let run_id = crate::session::new_run_id(&clock.started());
    let commit = crate::git::describe(&discovery.root);
    let stamp = signal::Stamp {
        timestamp: clock.started_text(),
        commit: commit.clone(),
        note: plan.note.clone(),
        rewrite: plan.rewrite,
        partial,
    };
    let journal = journal::location(&plan.journal, &discovery.root);
    let recorder = match &journal {
        None => Recorder::nowhere(),
        Some(dir) => Recorder::open(dir, plan.wait, &mut |holder| {
            reporter.report(RunEvent::WaitingForJournal { dir, holder })
        })?,
    };
    let start = RunStart {
        run_id,
        started_at: clock.started().as_second(),
        commit,
        note: plan.note.clone(),
        missions: crate::session::mission_stamps(&discovery),
        scope: Some(RunScope {
            ingested_from: Some(describe_reports(&plan.reports)),
            ..RunScope::default()
        }),
    };
    let made = MadeRun {
        discovery,
        tests,
        recorder,
        journal,
        start,
        clock,
        stamp,
    };
    made.record()
}

/// The reports as the run's scope records them: `junit:PATH, pytest-reportlog:PATH`.
fn describe_reports(reports: &[ReportFile]) -> String {
    let kind = |k: ReportKind| match k {
        ReportKind::Junit => "junit",
        ReportKind::PytestReportLog => "pytest-reportlog",
    };
    let parts: Vec<String> = reports
        .iter()
        .map(|r| format!("{}:{}", kind(r.kind), r.path.display()))
        .collect();
    parts.join(", ")
}

/// Every report read.
#[derive(Default)]
struct Read {
    /// Each case with the index of its report.
    cases: Vec<(usize, ForeignCase)>,
    /// Modules (or folders) that failed to collect, each once, with why.
    uncollected: Vec<(String, String)>,
    cut_short: Option<PathBuf>,
}

fn read_reports(reports: &[ReportFile]) -> Result<Read, Error> {
    let mut read = Read::default();
    for (n, r) in reports.iter().enumerate() {
        let text = std::fs::read_to_string(&r.path).map_err(|source| Error::Io {
            action: "read",
            path: r.path.clone(),
            source,
        })?;
        let (cases, uncollected) = match r.kind {
            ReportKind::Junit => junit_collection_errors(junit::read(&r.path, &text)?),
            ReportKind::PytestReportLog => {
                let log = reportlog::read(&r.path, &text)?;
                if !log.finished {
                    read.cut_short = Some(r.path.clone());
                }
                (log.cases, log.uncollected)
            }
        };
        read.cases.extend(cases.into_iter().map(|c| (n, c)));
        for (module, why) in uncollected {
            if !read.uncollected.iter().any(|(m, _)| *m == module) {
                read.uncollected.push((module, why));
            }
        }
    }
    if read.cases.is_empty() && read.uncollected.is_empty() {
        let files: Vec<String> = reports
            .iter()
            .map(|r| r.path.display().to_string())
            .collect();
        return Err(Error::NothingToIngest {
            files: files.join(", "),
        });
    }
    Ok(read)
}

/// pytest's JUnit XML writes a module that failed to collect as a case without a classname,
/// named by the module's dotted path, with an `error` of "collection failure": taken out of
/// the cases, as a module that failed to collect (`tests.test_kv` → `tests/test_kv.py`).
fn junit_collection_errors(cases: Vec<ForeignCase>) -> (Vec<ForeignCase>, Vec<(String, String)>) {
    const MARK: &str = "error outside the test's assertions: collection failure";
    let (errors, cases): (Vec<ForeignCase>, Vec<ForeignCase>) = cases.into_iter().partition(|c| {
        c.classname.is_none() && c.message.as_deref().is_some_and(|m| m.starts_with(MARK))
    });
    let modules = errors
        .into_iter()
        .map(|c| {
            let module = format!("{}.py", c.name.replace('.', "/"));
            let why = c.message.unwrap_or_default();
            (module, why.trim_start_matches(MARK).trim_start().to_owned())
        })
        .collect();
    (cases, modules)
}

/// The cases of `read` as each package's test records, each reference once: the last report's
/// result, and within one report the failing one (a failure is never hidden by a namesake).
fn link_all(
    discovery: &Discovery,
    plan: &IngestPlan,
    read: &Read,
    reporter: &mut dyn Reporter,
) -> HashMap<String, Vec<TestRecord>> {
    let mut out: HashMap<String, Vec<TestRecord>> = HashMap::new();
    let mut sources: HashMap<String, Sources> = HashMap::new();
    // (package, reference) → its place in `out` and the report it came from.
    let mut seen: HashMap<(String, String), (usize, usize)> = HashMap::new();
    let (mut unplaced, mut twice) = (0usize, 0usize);
    for (report, case) in &read.cases {
        let Some(pkg) = package_of(case, &discovery.packages) else {
            unplaced += 1;
            continue;
        };
        let root = plan.source_root.clone().unwrap_or_else(|| pkg.dir.clone());
        let src = sources
            .entry(pkg.name.clone())
            .or_insert_with(|| Sources::new(&root));
        let record = record(case, pkg, src, reporter);
        let records = out.entry(pkg.name.clone()).or_default();
        match seen.entry((pkg.name.clone(), record.reference.clone())) {
            std::collections::hash_map::Entry::Occupied(mut at) => {
                let (i, from) = *at.get();
                if from == *report {
                    twice += 1;
                    if failing(&records[i]) && !failing(&record) {
                        continue;
                    }
                }
                at.insert((i, *report));
                records[i] = record;
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert((records.len(), *report));
                records.push(record);
            }
        }
    }
    let names: Vec<&str> = discovery.packages.iter().map(|p| p.name.as_str()).collect();
    if unplaced > 0 {
        reporter.report(RunEvent::Warning(&format!(
            "{unplaced} cases belong to none of the missions' packages ({}): their suites name no package; they are left out",
            names.join(", ")
        )));
    }
    if twice > 0 {
        reporter.report(RunEvent::Warning(&format!(
            "{twice} cases share their reference with another case of the same report: each reference is kept once, failing if any of them failed"
        )));
    }
    if let Some(pkg) = discovery.packages.first() {
        let records = out.entry(pkg.name.clone()).or_default();
        uncollected(pkg, &read.uncollected, records, reporter);
    }
    out
}

fn failing(r: &TestRecord) -> bool {
    r.outcome.is_some_and(|o| o.is_failing())
}

/// The package a case belongs to: the only one, else the one its suite or classname names
/// (nextest's binary ids are `package::binary`).
fn package_of<'p>(
    case: &ForeignCase,
    packages: &'p [MissionPackage],
) -> Option<&'p MissionPackage> {
    if let [only] = packages {
        return Some(only);
    }
    let names = |p: &&MissionPackage| {
        let n = p.name.as_str();
        let of =
            |s: &str| s == n || s.starts_with(&format!("{n}::")) || s.starts_with(&format!("{n}."));
        of(&case.suite) || case.classname.as_deref().is_some_and(of)
    };
    packages.iter().find(names)
}

/// The record of one case of `pkg`, linked.
fn record(
    case: &ForeignCase,
    pkg: &MissionPackage,
    src: &mut Sources,
    reporter: &mut dyn Reporter,
) -> TestRecord {
    let place = place(case, src);
    let reference = match (&case.node_id, &place.file) {
        (Some(id), _) => id.clone(),
        (None, Some(file)) => format!("{file}::{}{}", place.classes, case.name),
        // jest-junit's classname is the title, as its name is.
        (None, None) => match &case.classname {
            Some(c) if *c != case.name => format!("{c}::{}", case.name),
            _ => case.name.clone(),
        },
    };
    let ids = case
        .design
        .clone()
        .or_else(|| markers::marker(&case.name))
        .or(place.ids)
        .unwrap_or_default();
    let (known, unknown): (Vec<String>, Vec<String>) = ids
        .into_iter()
        .partition(|id| pkg.mission.node(id).is_some());
    if !unknown.is_empty() {
        reporter.report(RunEvent::Warning(&format!(
            "{reference} names {}, which mission {} does not have: left out of its links",
            unknown.join(", "),
            pkg.mission.id
        )));
    }
    if let Some(files) = &place.ambiguous {
        reporter.report(RunEvent::Warning(&format!(
            "{reference}: a function {} is defined in {}; its @design marker cannot be told, so it is untagged (a `design` property in the report links it)",
            case.function(),
            files.join(" and ")
        )));
    }
    TestRecord {
        package: pkg.name.clone(),
        mission: pkg.mission.id.clone(),
        binary: case.suite.clone(),
        name: case.name.clone(),
        reference,
        file: place.file.unwrap_or_default(),
        line: place.line.unwrap_or(0),
        ids: known,
        plan: Plan::Run,
        outcome: Some(case.outcome),
        duration: case.duration,
        message: case.message.clone(),
        output: case.output.clone(),
    }
}

/// Where a case's test is defined, and what its source's marker says.
#[derive(Default)]
struct Place {
    file: Option<String>,
    /// Class parts between file and name in its reference (`TestKV::`), from a classname.
    classes: String,
    line: Option<u32>,
    ids: Option<Vec<String>>,
    ambiguous: Option<Vec<String>>,
}

fn place(case: &ForeignCase, src: &mut Sources) -> Place {
    let function = case.function().to_owned();
    let (file, classes) = match (&case.file, &case.classname) {
        (Some(f), _) => (Some(f.clone()), String::new()),
        (None, Some(c)) => module_file(c, src).map_or((None, String::new()), |(f, k)| (Some(f), k)),
        (None, None) => (None, String::new()),
    };
    let class = classes
        .trim_end_matches("::")
        .rsplit("::")
        .next()
        .filter(|c| !c.is_empty());
    let found = match &file {
        Some(f) => src.in_file(f, case.line, class, &function),
        None => {
            let hint = case.classname.as_deref().unwrap_or(&case.suite);
            src.anywhere(&function, hint)
        }
    };
    let mut place = Place {
        file: file.clone(),
        classes,
        line: case.line,
        ..Place::default()
    };
    match found {
        Found::At { file: f, line, ids } => {
            place.file = Some(f);
            place.line = Some(line);
            place.ids = ids;
        }
        Found::Ambiguous(files) => place.ambiguous = Some(files),
        Found::Nowhere => {}
    }
    place
}

/// The Python module file a dotted classname names, and the class parts after it:
/// `tests.test_kv.TestKV` → (`tests/test_kv.py`, `TestKV::`).
fn module_file(classname: &str, src: &Sources) -> Option<(String, String)> {
    let parts: Vec<&str> = classname.split('.').collect();
    (1..=parts.len()).rev().find_map(|k| {
        let file = format!("{}.py", parts[..k].join("/"));
        src.exists(&file).then(|| {
            let classes: String = parts[k..].iter().map(|c| format!("{c}::")).collect();
            (file, classes)
        })
    })
}

/// A module that failed to collect: a failing case of its own, and each test the mission
/// knew in it failing for that reason (it did not run, and is not evidence of passing).
fn uncollected(
    pkg: &MissionPackage,
    modules: &[(String, String)],
    records: &mut Vec<TestRecord>,
    reporter: &mut dyn Reporter,
) {
    let mut reported: std::collections::HashSet<String> =
        records.iter().map(|r| r.reference.clone()).collect();
    for (module, why) in modules {
        let shown = if module.is_empty() {
            "the test session"
        } else {
            module
        };
        reporter.report(RunEvent::Warning(&format!(
            "{shown} failed to collect: none of its tests ran"
        )));
        let failing = |reference: &str, ids: &[String], message: String| TestRecord {
            package: pkg.name.clone(),
            mission: pkg.mission.id.clone(),
            binary: "pytest".into(),
            name: reference
                .split_once("::")
                .map_or(reference, |(_, n)| n)
                .to_owned(),
            reference: reference.to_owned(),
            file: module.clone(),
            ids: ids.to_vec(),
            plan: Plan::Run,
            outcome: Some(Outcome::Failed),
            message: Some(message),
            ..TestRecord::default()
        };
        if reported.insert(module.clone()) {
            records.push(failing(module, &[], format!("collection failed:\n{why}")));
        }
        // A module's tests (`file::`), a folder's (`dir/`), or every test (the session).
        let within = |r: &str| {
            module.is_empty()
                || r.starts_with(&format!("{module}::"))
                || r.starts_with(&format!("{module}/"))
        };
        for s in pkg.mission.signal.iter().filter(|s| within(&s.reference)) {
            if reported.insert(s.reference.clone()) {
                let message = format!("not run: {shown} failed to collect:\n{why}");
                records.push(failing(&s.reference, &s.spec_ids, message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str) -> MissionPackage {
        let text = format!("id: {name}\nname: N\ndesign: []\n");
        let mission = exemplar_mission::parse_str(std::path::Path::new("m.yaml"), &text).unwrap();
        MissionPackage {
            name: name.to_owned(),
            dir: PathBuf::from(name),
            mission,
            display: PathBuf::from("mission.yaml"),
            history_cap: 50,
            max_loss: None,
            retries: None,
            groups: Vec::new(),
            not_run: Vec::new(),
        }
    }

    #[test]
    fn a_case_goes_to_the_package_its_suite_or_classname_names() {
        let packages = [package("kv"), package("kvstore")];
        let of = |suite: &str, classname: Option<&str>| {
            let mut case = ForeignCase::new(suite, "t");
            case.classname = classname.map(str::to_owned);
            package_of(&case, &packages).map(|p| p.name.clone())
        };
        assert_eq!(of("kv::outcomes", None).as_deref(), Some("kv"));
        assert_eq!(of("kvstore", None).as_deref(), Some("kvstore"));
        assert_eq!(
            of("pytest", Some("kvstore.tests")).as_deref(),
            Some("kvstore")
        );
        assert_eq!(of("other::bin", None), None);
        // One mission takes every case.
        let one = [package("kv")];
        assert!(package_of(&ForeignCase::new("anything", "t"), &one).is_some());
    }
}
