//! `run --rerun-failed` runs exactly what the latest run left outstanding (its failing tests,
//! and those `--fail-fast` never started), follows a chain of reruns back to the run it began
//! with, and exits 6 while tests remain outstanding.

use std::collections::BTreeMap;

use crate::support::{Fixture, json, kv_alone, stderr, stdout};

/// (binary, test name) → outcome word, of the latest run in the fixture's journal.
fn latest(fx: &Fixture) -> BTreeMap<(String, String), String> {
    let show = json(&fx.exemplar(&["show", "latest", "--message-format", "json"]));
    let mut out = BTreeMap::new();
    for t in show["tests"].as_array().unwrap() {
        let name = t["ref"].as_str().unwrap().split_once("::").unwrap().1;
        let key = (t["binary"].as_str().unwrap().to_owned(), name.to_owned());
        out.insert(key, t["outcome"].as_str().unwrap().to_owned());
    }
    out
}

fn finished(outcome: &str) -> bool {
    matches!(outcome, "passed" | "ignored" | "flaky")
}

#[test]
fn rerun_failed_runs_the_failing_tests_of_the_latest_run_until_none_is_left() {
    let _heavy = kv_alone();
    let fx = Fixture::new("adopt");
    let first = fx.exemplar(&["run"]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    let all = latest(&fx);
    let failing: Vec<_> = all
        .iter()
        .filter(|(_, o)| !finished(o))
        .map(|(k, _)| k.clone())
        .collect();
    assert!(failing.len() >= 3, "the fixture fails some tests: {all:?}");

    let rerun = fx.exemplar(&["run", "--rerun-failed"]);
    assert_eq!(rerun.status.code(), Some(6), "{}", stderr(&rerun));
    assert!(
        stdout(&rerun).contains("re-ran the outstanding tests of run"),
        "{}",
        stdout(&rerun)
    );
    let again = latest(&fx);
    assert_eq!(
        again.keys().cloned().collect::<Vec<_>>(),
        failing,
        "only the failing ran"
    );

    // Fix one failing test: the next rerun runs the same ones; after it, that one is done.
    let lib = fx
        .read("src/lib.rs")
        .replace("a.wrapping_add(b)", "a.wrapping_sub(b)");
    fx.write("src/lib.rs", &lib);
    let fixed = fx.exemplar(&["run", "--rerun-failed"]);
    assert_eq!(fixed.status.code(), Some(6), "{}", stderr(&fixed));
    let subtracts = ("adopt".to_owned(), "tests::subtracts".to_owned());
    assert_eq!(
        latest(&fx).get(&subtracts).map(String::as_str),
        Some("passed")
    );
    let left = fx.exemplar(&["run", "--rerun-failed"]);
    assert_eq!(left.status.code(), Some(6), "{}", stderr(&left));
    let ran = latest(&fx);
    assert!(
        !ran.contains_key(&subtracts),
        "a test that passed in the chain ran again: {ran:?}"
    );
    assert_eq!(ran.len(), failing.len() - 1, "{ran:?}");
}

#[test]
fn fail_fast_starts_nothing_after_a_failure_and_a_rerun_runs_what_it_left() {
    let _heavy = kv_alone();
    let fx = Fixture::new("adopt");
    let full = fx.exemplar(&[
        "run",
        "--no-journal",
        "--no-rewrite",
        "--message-format",
        "json",
    ]);
    let planned = json(&full)["counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum::<u64>();

    let ff = fx.exemplar(&["run", "--fail-fast", "-j", "1", "--message-format", "json"]);
    assert_eq!(ff.status.code(), Some(6), "{}", stderr(&ff));
    let doc = json(&ff);
    let not_run = doc["not_run"].as_u64().unwrap();
    assert!(
        not_run > 0,
        "one worker and a failure before the last test: {doc}"
    );
    let stopped = latest(&fx);
    let failures = stopped
        .values()
        .filter(|o| !finished(o) && *o != "stranded")
        .count();
    assert_eq!(
        failures, 1,
        "nothing started after the first failure: {stopped:?}"
    );
    assert_eq!(
        stopped.len() as u64 + not_run,
        planned,
        "each test ran or is not run"
    );

    let rerun = fx.exemplar(&["run", "--rerun-failed"]);
    assert_eq!(rerun.status.code(), Some(6), "{}", stderr(&rerun));
    let ran = latest(&fx);
    for (key, outcome) in &stopped {
        assert_eq!(
            ran.contains_key(key),
            !finished(outcome),
            "{key:?} was {outcome}"
        );
    }
    assert_eq!(
        ran.len() as u64,
        not_run + stopped.values().filter(|o| !finished(o)).count() as u64,
        "the rerun ran the failing and the not-run tests: {ran:?}"
    );
}

#[test]
fn rerun_failed_without_a_run_says_so() {
    let fx = Fixture::new("basic");
    let out = fx.exemplar(&["run", "--rerun-failed"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to rerun"),
        "{}",
        stderr(&out)
    );
}
