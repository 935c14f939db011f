//! Every machine-readable document parses back into its typed struct in `exemplar-formats`
//! (so the types agents read with are the ones the tool writes), and every command finds the
//! same journal, wherever the workspace sits in its git repository.

use exemplar_formats::check::CheckDocument;
use exemplar_formats::journal::{
    DiffDocument, DirectiveHistory, FlakyDocument, RebuildDocument, RepairDocument, RunsDocument,
    ShowDocument, StatusDocument, TestHistory, VerifyDocument,
};
use exemplar_formats::list::ListDocument;
use exemplar_formats::report::ReportDocument;
use exemplar_formats::run::RunDocument;
use serde::de::DeserializeOwned;

use crate::support::{Fixture, git, stderr, stdout};

fn parse<T: DeserializeOwned>(fx: &Fixture, args: &[&str]) -> T {
    let out = fx.exemplar(args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not the typed document ({e}):\n{}\n{}",
            stdout(&out),
            stderr(&out)
        )
    })
}

#[test]
fn every_document_parses_as_its_typed_struct() {
    let fx = Fixture::new("basic");
    let run: RunDocument = parse(&fx, &["run", "--message-format", "json"]);
    assert_eq!((run.format.as_str(), run.version), ("exemplar-run", 1));
    assert_eq!(run.counts.crashed, 1);
    let id = run.run_id.clone();
    let second: RunDocument = parse(&fx, &["run", "--message-format", "json", "--", "passes"]);
    let list: ListDocument = parse(&fx, &["list", "--message-format", "json"]);
    assert!(list.binaries.iter().any(|b| b.harness == "exemplar"));
    let check: CheckDocument = parse(&fx, &["check", "--message-format", "json"]);
    assert_eq!(check.run.format, "exemplar-run");

    let status: StatusDocument = parse(&fx, &["status", "--message-format", "json"]);
    assert_eq!(status.format, "exemplar-status");
    let runs: RunsDocument = parse(&fx, &["history", "--message-format", "json"]);
    assert_eq!(runs.runs.len(), 3);
    let s2: DirectiveHistory = parse(&fx, &["history", "S2", "--message-format", "json"]);
    assert_eq!(s2.loss.len(), 3);
    let t: TestHistory = parse(&fx, &["history", "passes", "--message-format", "json"]);
    assert!(!t.outcomes.is_empty());
    let show: ShowDocument = parse(&fx, &["show", &id, "--message-format", "json"]);
    assert_eq!(show.run.run_id, id);
    assert!(show.tests.iter().any(|t| t.message.is_some()));
    let diff: DiffDocument = parse(
        &fx,
        &["diff", &id, &second.run_id, "--message-format", "json"],
    );
    assert_eq!(diff.from, id);
    let _: FlakyDocument = parse(&fx, &["flaky", "--message-format", "json"]);
    let verify: VerifyDocument = parse(&fx, &["journal", "verify", "--message-format", "json"]);
    assert!(verify.records > 0);
    let repair: RepairDocument = parse(&fx, &["journal", "repair", "--message-format", "json"]);
    assert!(repair.moved.is_empty(), "nothing was damaged");
    let rebuilt: RebuildDocument = parse(
        &fx,
        &["journal", "rebuild-index", "--message-format", "json"],
    );
    assert_eq!(rebuilt.runs, 3);
    let out = fx.exemplar(&["report", "--json"]);
    let report: ReportDocument = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.runs.len(), 3, "run, run, check: {}", stderr(&out));
}

/// A workspace in a subfolder of its repository: `run`, `status` and `check --baseline RUN`
/// all use the journal at the workspace root, not at the repository's.
#[test]
fn a_workspace_below_the_git_root_has_one_journal() {
    let fx = Fixture::new("gate");
    let ws = fx.path().join("service");
    std::fs::create_dir(&ws).unwrap();
    for entry in std::fs::read_dir(fx.path()).unwrap() {
        let p = entry.unwrap().path();
        if p != ws {
            std::fs::rename(&p, ws.join(p.file_name().unwrap())).unwrap();
        }
    }
    git(fx.path(), &["init", "-q"]);
    std::fs::write(fx.path().join(".gitignore"), ".exemplar/\ntarget/\n").unwrap();
    git(fx.path(), &["add", "-A"]);
    git(fx.path(), &["commit", "-q", "-m", "fixture"]);
    let manifest = ws.join("Cargo.toml");
    let manifest = manifest.to_str().unwrap();
    let run: RunDocument = parse(
        &fx,
        &[
            "run",
            "--manifest-path",
            manifest,
            "--message-format",
            "json",
        ],
    );
    assert!(ws.join(".exemplar/wal").is_dir());
    assert!(!fx.path().join(".exemplar").exists());
    let status: StatusDocument = parse(
        &fx,
        &[
            "status",
            "--manifest-path",
            manifest,
            "--message-format",
            "json",
        ],
    );
    assert_eq!(status.run.run_id, run.run_id);
    let check: CheckDocument = parse(
        &fx,
        &[
            "check",
            "--manifest-path",
            manifest,
            "--baseline",
            &run.run_id,
            "--message-format",
            "json",
        ],
    );
    assert_eq!(check.baseline, format!("run {}", run.run_id));
    assert!(check.ok);
}

/// A wrongly typed `[package.metadata.exemplar]` key is an error naming it.
#[test]
fn bad_package_metadata_is_an_error_naming_the_key() {
    for (line, key) in [
        ("history = \"ten\"", "history"),
        ("max-loss = 2.5", "max-loss"),
        ("mission = 7", "mission"),
    ] {
        let fx = Fixture::new("gate");
        let toml = fx.read("Cargo.toml") + "\n[package.metadata.exemplar]\n" + line + "\n";
        fx.write("Cargo.toml", &toml);
        let out = fx.exemplar(&["run", "--no-journal"]);
        assert_eq!(out.status.code(), Some(4), "{line}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("[package.metadata.exemplar] {key} must be")),
            "{line}: {err}"
        );
        assert!(err.contains("Cargo.toml"), "{err}");
    }
}

/// The one line a view shows of a failure is its assertion, not "test panicked at ...".
#[test]
fn junit_and_markdown_carry_the_assertion_line() {
    let fx = Fixture::new("basic");
    fx.exemplar(&["run"]);
    let path = fx.path().join("junit.xml");
    let out = fx.exemplar(&["report", "--junit", path.to_str().unwrap(), "--markdown"]);
    let xml = std::fs::read_to_string(&path).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let fails = report.test_suites[0]
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == "tests/outcomes.rs::fails")
        .unwrap();
    let quick_junit::TestCaseStatus::NonSuccess { message, .. } = &fails.status else {
        panic!("{:?}", fails.status)
    };
    let message = message.as_ref().unwrap().as_str();
    assert!(
        message.starts_with("assertion `left == right` failed"),
        "{message}"
    );
    assert!(message.contains("arithmetic is broken"), "{message}");
    let markdown = stdout(&out);
    assert!(
        // Markdown's own characters escaped: it reads as the assertion line.
        markdown.contains("assertion \\`left == right\\` failed: arithmetic is broken …"),
        "{markdown}"
    );
}

/// `run --message-format json-stream`: every line parses as a typed event, in the order the
/// book gives, and the events add up to the document on the last line. On the exemplar
/// harness (a crash, an ignored test) and on default-harness binaries (stranded tests, a
/// retry that passes).
#[test]
fn the_event_stream_parses_line_by_line_and_adds_up_to_the_run() {
    use exemplar_formats::stream::{FORMAT, StreamEvent, VERSION};
    for (fixture, extra) in [("basic", &[][..]), ("adopt", &["--retries", "1"][..])] {
        let fx = Fixture::new(fixture);
        let mut args = vec!["run", "--message-format", "json-stream"];
        args.extend_from_slice(extra);
        let out = fx.exemplar(&args);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let events: Vec<StreamEvent> = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert_eq!(
            events.first(),
            Some(&StreamEvent::RunStarted {
                format: FORMAT.into(),
                version: VERSION
            })
        );
        let Some(StreamEvent::RunFinished { document }) = events.last() else {
            panic!("the last line is not run-finished: {:?}", events.last());
        };
        check_stream_order(fixture, &events);
        // The outcomes of the finished tests, each amended where a retry changed it, are the
        // document's counts.
        let mut last: std::collections::BTreeMap<(String, String, String), String> =
            Default::default();
        for e in &events {
            if let StreamEvent::TestFinished { kind, record }
            | StreamEvent::TestAmended { kind, record } = e
            {
                let outcome = record.outcome.map(|o| o.as_str().to_owned());
                let key = (record.binary.clone(), kind.clone(), record.name.clone());
                last.insert(key, outcome.unwrap_or_default());
            }
        }
        // And each failing test's message and output, as the stream last had them, are the
        // document's (libtest's come after the test's own line).
        let mut texts: std::collections::HashMap<String, (Option<String>, Option<String>)> =
            Default::default();
        for e in &events {
            if let StreamEvent::TestFinished { record, .. }
            | StreamEvent::TestAmended { record, .. } = e
            {
                let text = (record.message.clone(), record.output.clone());
                texts.insert(record.reference.clone(), text);
            }
        }
        let mut compared = 0;
        for d in document.missions.iter().flat_map(|m| &m.directives) {
            for t in d.failing_tests.iter().filter(|t| t.outcome.is_some()) {
                let streamed = &texts[&t.reference];
                assert_eq!(
                    streamed,
                    &(t.message.clone(), t.output.clone()),
                    "{fixture}: {}",
                    t.reference
                );
                compared += 1;
            }
        }
        assert!(compared > 0, "{fixture}: no failing test to compare");
        let count = |o: &str| last.values().filter(|v| *v == o).count() as u64;
        let c = document.counts;
        assert_eq!(
            [
                c.passed, c.failed, c.ignored, c.crashed, c.stranded, c.flaky
            ],
            [
                "passed", "failed", "ignored", "crashed", "stranded", "flaky"
            ]
            .map(count),
            "{fixture}"
        );
        if fixture == "basic" {
            assert_eq!(c.crashed, 1);
        } else {
            assert!(c.stranded > 0, "the adopt fixture has stranded tests");
        }
    }
}

/// Each binary starts before its tests and finishes after them, with the count it planned
/// and the outcomes they had then (a retry's amendment included); each test that ran started
/// before it finished, and each that started finished. A binary is its name and kind: a
/// library's unit tests and an integration test may share a name.
fn check_stream_order(fixture: &str, events: &[exemplar_formats::stream::StreamEvent]) {
    use exemplar_formats::Outcome;
    use exemplar_formats::stream::StreamEvent;
    use std::collections::{BTreeMap, HashMap, HashSet};
    type Binary = (String, String);
    let mut planned: HashMap<Binary, u64> = HashMap::new();
    let mut latest: HashMap<Binary, BTreeMap<String, Outcome>> = HashMap::new();
    let mut done: HashSet<Binary> = HashSet::new();
    let mut started: HashSet<(Binary, String)> = HashSet::new();
    for e in events {
        match e {
            StreamEvent::BinaryStarted { binary, planned: n } => {
                let b = (binary.binary.clone(), binary.kind.clone());
                assert!(planned.insert(b, *n).is_none());
            }
            StreamEvent::TestStarted { binary, kind, name } => {
                let b = (binary.clone(), kind.clone());
                assert!(planned.contains_key(&b), "{fixture}: {b:?} not started");
                assert!(!done.contains(&b), "{fixture}: {name} after its binary");
                started.insert((b, name.clone()));
            }
            StreamEvent::TestFinished { kind, record } => {
                let b = (record.binary.clone(), kind.clone());
                let n = record.name.clone();
                assert!(
                    planned.contains_key(&b) && !done.contains(&b),
                    "{fixture}: {n}"
                );
                let outcome = record.outcome.expect("a finished test has an outcome");
                let ran = !matches!(outcome, Outcome::Ignored | Outcome::Stranded);
                assert!(
                    !ran || started.contains(&(b.clone(), n.clone())),
                    "{fixture}: {n} finished without starting"
                );
                let first = latest.entry(b).or_default().insert(n, outcome);
                assert!(first.is_none(), "{fixture}: {} finished twice", record.name);
            }
            StreamEvent::TestAmended { kind, record } => {
                let b = (record.binary.clone(), kind.clone());
                if done.contains(&b) {
                    continue;
                }
                let outcome = record.outcome.expect("an amended test has an outcome");
                let tests = latest.get_mut(&b).expect("its binary ran");
                assert!(tests.insert(record.name.clone(), outcome).is_some());
            }
            StreamEvent::BinaryFinished { binary, counts } => {
                let b = (binary.binary.clone(), binary.kind.clone());
                let tests = latest.get(&b).cloned().unwrap_or_default();
                assert_eq!(tests.len() as u64, planned[&b], "{fixture}: {b:?}");
                let mut tally = exemplar_formats::OutcomeCounts::default();
                tests.values().for_each(|o| tally.add(*o));
                assert_eq!(*counts, tally, "{fixture}: {b:?}");
                assert!(done.insert(b));
            }
            _ => {}
        }
    }
    assert_eq!(
        done.len(),
        planned.len(),
        "{fixture}: every binary finished"
    );
    for (b, n) in &started {
        assert!(
            latest[b].contains_key(n),
            "{fixture}: {n} started, never finished"
        );
    }
}
