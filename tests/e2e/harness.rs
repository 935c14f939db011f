//! The harness behind `exemplar::main!()`, run directly: libtest's command line, and the event
//! stream (exact order single-threaded, complete and consistent multi-threaded).

use std::collections::BTreeMap;
use std::process::Command;

use exemplar_formats::Outcome;
use exemplar_formats::events::{Event, Plan, parse_line};

use crate::support::{Fixture, stdout};

fn run_with_events(exe: &std::path::Path, args: &[&str]) -> (std::process::Output, Vec<Event>) {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let out = Command::new(exe)
        .args(args)
        .env("EXEMPLAR_EVENTS", &events)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&events).unwrap_or_default();
    let evs = text
        .lines()
        .map(|l| parse_line(l).unwrap().unwrap())
        .collect();
    (out, evs)
}

#[test]
fn list_and_filters_behave_like_libtest() {
    let fx = Fixture::new("basic");
    let exe = fx.test_binary("outcomes");
    let out = Command::new(&exe).arg("--list").output().unwrap();
    let list = stdout(&out);
    assert!(list.contains("passes: test\n"), "{list}");
    assert!(list.contains("nested::in_module: test\n"), "{list}");
    assert!(list.contains("ignored_slow: test\n"), "{list}");

    // A name filter and --exact.
    let out = Command::new(&exe)
        .args(["passes", "--exact"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("1 passed"), "{}", stdout(&out));
    // --ignored runs only the ignored test.
    let out = Command::new(&exe).args(["--ignored"]).output().unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("test ignored_slow ... ok"),
        "{}",
        stdout(&out)
    );
    // --include-ignored with a filter that excludes the failures.
    let out = Command::new(&exe)
        .args([
            "--include-ignored",
            "--skip",
            "aborts",
            "--skip",
            "fails",
            "--skip",
            "returns_err",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("7 passed; 0 failed"),
        "{}",
        stdout(&out)
    );
    // Without the events variable nothing but libtest output appears.
    assert!(!stdout(&out).contains("\"event\""));
}

#[test]
fn single_threaded_events_come_in_exact_order() {
    let fx = Fixture::new("basic");
    let exe = fx.test_binary("outcomes");
    let (out, evs) = run_with_events(&exe, &["--test-threads", "1", "--skip", "aborts"]);
    assert_eq!(out.status.code(), Some(101), "two tests fail");
    let Event::Inventory {
        protocol,
        version,
        tests,
    } = &evs[0]
    else {
        panic!("inventory first: {:?}", evs[0]);
    };
    assert_eq!(*protocol, exemplar_formats::events::PROTOCOL);
    // The harness says which exemplar it was built with, so a runner can name both versions.
    assert_eq!(version.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    let plans: BTreeMap<&str, Plan> = tests.iter().map(|t| (t.name.as_str(), t.plan)).collect();
    assert_eq!(plans["aborts"], Plan::Filtered);
    assert_eq!(plans["ignored_slow"], Plan::Ignored);
    assert_eq!(plans["passes"], Plan::Run);
    let in_module = tests
        .iter()
        .find(|t| t.name == "nested::in_module")
        .unwrap();
    assert_eq!(in_module.ids, ["S1", "S2"]);
    assert!(
        in_module.file.ends_with("tests/outcomes.rs"),
        "{}",
        in_module.file
    );
    assert!(in_module.line > 0);
    let ignored = tests.iter().find(|t| t.name == "ignored_slow").unwrap();
    assert_eq!(ignored.ignore_reason.as_deref(), Some("slow"));

    let order: Vec<String> = evs[1..]
        .iter()
        .map(|e| match e {
            Event::Started { name } => format!("started {name}"),
            Event::Finished { name, outcome, .. } => format!("finished {name} {outcome:?}"),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let expected = [
        "started fails",
        "finished fails Failed",
        "started nested::in_module",
        "finished nested::in_module Passed",
        "started panics_as_expected",
        "finished panics_as_expected Passed",
        "started passes",
        "finished passes Passed",
        "started prints",
        "finished prints Passed",
        "started returns_err",
        "finished returns_err Failed",
        "started returns_ok",
        "finished returns_ok Passed",
        "started sleeps_when_asked",
        "finished sleeps_when_asked Passed",
    ];
    assert_eq!(order, expected);
    let fails_msg = evs.iter().find_map(|e| match e {
        Event::Finished { name, message, .. } if name == "fails" => message.clone(),
        _ => None,
    });
    let msg = fails_msg.unwrap();
    assert!(
        msg.contains("arithmetic is broken") && msg.contains("tests/outcomes.rs:"),
        "{msg}"
    );
}

#[test]
fn multi_threaded_events_are_complete_and_consistent() {
    let fx = Fixture::new("basic");
    let exe = fx.test_binary("outcomes");
    let (_, evs) = run_with_events(&exe, &["--test-threads", "4", "--skip", "aborts"]);
    let mut started = BTreeMap::new();
    let mut finished = BTreeMap::new();
    for (i, e) in evs.iter().enumerate() {
        match e {
            Event::Inventory { .. } => assert_eq!(i, 0, "inventory comes first"),
            Event::Started { name } => {
                assert!(
                    started.insert(name.clone(), i).is_none(),
                    "{name} started twice"
                );
            }
            Event::Finished { name, outcome, .. } => {
                let s = started
                    .get(name)
                    .unwrap_or_else(|| panic!("{name} finished unstarted"));
                assert!(*s < i);
                assert!(finished.insert(name.clone(), *outcome).is_none());
            }
        }
    }
    let expected: BTreeMap<String, Outcome> = [
        ("fails", Outcome::Failed),
        ("nested::in_module", Outcome::Passed),
        ("panics_as_expected", Outcome::Passed),
        ("passes", Outcome::Passed),
        ("prints", Outcome::Passed),
        ("returns_err", Outcome::Failed),
        ("returns_ok", Outcome::Passed),
        ("sleeps_when_asked", Outcome::Passed),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(finished, expected);
}

#[test]
fn cargo_nextest_runs_the_harness() {
    let nextest = Command::new(env!("CARGO"))
        .args(["nextest", "--version"])
        .output();
    if !nextest.is_ok_and(|o| o.status.success()) {
        panic!("cargo-nextest is required for this test (.ci/run installs it)");
    }
    let fx = Fixture::new("basic");
    let out = Command::new(env!("CARGO"))
        .args([
            "nextest",
            "run",
            "--no-fail-fast",
            "--test",
            "outcomes",
            "--test",
            "second",
        ])
        .current_dir(fx.path())
        .env("CARGO_TARGET_DIR", crate::support::target_dir())
        .output()
        .unwrap();
    let all = format!("{}{}", stdout(&out), crate::support::stderr(&out));
    assert!(!out.status.success());
    // 10 run (the ignored one is skipped): aborts, fails, returns_err fail.
    assert!(
        all.contains("10 tests run: 7 passed, 3 failed, 1 skipped"),
        "{all}"
    );
}
