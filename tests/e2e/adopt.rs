//! Adoption: a crate's existing tests — unit tests in `src/`, default-harness integration
//! tests, `#[tokio::test]`, `#[rstest]` cases, `#[should_panic]`, `#[ignore]` — tagged with
//! `#[design]`, run by `cargo exemplar run`, `cargo test` and `cargo nextest run` with the
//! same outcomes (`tests/fixtures/adopt/expected.json`), and the tests no harness runs
//! recorded `stranded`.

use std::collections::BTreeMap;
use std::process::Command;

use exemplar_formats::list::ListDocument;

use crate::support::{Fixture, json, kv_alone, stderr, stdout, target_dir};

/// (binary, test name) → outcome word.
type Outcomes = BTreeMap<(String, String), String>;

struct Expected {
    /// Under `cargo exemplar run`: every test.
    exemplar: Outcomes,
    /// Under `cargo test` and `cargo nextest run`: the tests they run.
    cargo: Outcomes,
    /// (binary, name) → ids.
    ids: BTreeMap<(String, String), Vec<String>>,
}

fn expected(fx: &Fixture) -> Expected {
    let doc = fx.expected();
    let mut e = Expected {
        exemplar: Outcomes::new(),
        cargo: Outcomes::new(),
        ids: BTreeMap::new(),
    };
    for t in doc["tests"].as_array().unwrap() {
        let key = (
            t["binary"].as_str().unwrap().to_owned(),
            t["name"].as_str().unwrap().to_owned(),
        );
        let outcome = t["outcome"].as_str().unwrap().to_owned();
        if t["cargo"].as_bool().unwrap() {
            e.cargo.insert(key.clone(), outcome.clone());
        }
        e.exemplar.insert(key.clone(), outcome);
        let ids = t["ids"].as_array().unwrap();
        e.ids.insert(
            key,
            ids.iter().map(|i| i.as_str().unwrap().to_owned()).collect(),
        );
    }
    e
}

#[test]
fn existing_tests_carry_design_ids_and_run_under_exemplar_cargo_test_and_nextest() {
    let _heavy = kv_alone();
    let fx = Fixture::new("adopt");
    let want = expected(&fx);

    let run = fx.exemplar(&["run"]);
    assert_eq!(run.status.code(), Some(1), "a test fails: {}", stderr(&run));
    let show = json(&fx.exemplar(&["show", "latest", "--message-format", "json"]));
    let mut got = Outcomes::new();
    for t in show["tests"].as_array().unwrap() {
        let binary = t["binary"].as_str().unwrap().to_owned();
        // `ref` is `FILE::NAME`; the file has no `::`.
        let reference = t["ref"].as_str().unwrap();
        let name = reference.split_once("::").unwrap().1.to_owned();
        let ids: Vec<String> = t["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_owned())
            .collect();
        let key = (binary, name);
        assert_eq!(want.ids.get(&key), Some(&ids), "ids of {key:?}");
        got.insert(key, t["outcome"].as_str().unwrap().to_owned());
    }
    assert_eq!(got, want.exemplar, "cargo exemplar run");

    // The durations are measured per test on stable Rust, from when the runner reads libtest's
    // start line to when it reads the verdict: close to the test's own time, but each read may
    // lag its write on a busy machine, so the bound has a tenfold margin.
    let slow = show["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ref"] == "src/lib.rs::tests::takes_fifty_milliseconds")
        .unwrap();
    assert!(slow["duration"].as_f64().unwrap() >= 0.005, "{slow}");

    // A failure without a panic report has libtest's reason as its message.
    let no_panic = show["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ref"] == "src/lib.rs::tests::dividing_by_one_panics")
        .unwrap();
    assert!(
        no_panic["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("note: test did not panic as expected")),
        "{no_panic}"
    );

    // Stranded tests are named with file and line, and fail the directive they claim.
    let table = stdout(&run);
    assert!(
        table.contains("tests/harnessed.rs::a_test_nothing_runs"),
        "{table}"
    );
    assert!(
        table.contains(
            "tests/defaults.rs::forgot_the_test_attribute (tests/defaults.rs:35): stranded"
        ),
        "{table}"
    );
    let list = fx.exemplar(&["list"]);
    assert_eq!(list.status.code(), Some(1), "list fails on stranded tests");
    assert!(
        stdout(&list).contains("tests/harnessed.rs:12: compiled, but no harness runs it"),
        "{}",
        stdout(&list)
    );

    let check = fx.exemplar(&["check"]);
    assert_eq!(
        check.status.code(),
        Some(1),
        "check fails on stranded tests"
    );
    assert!(
        stdout(&check).contains("tests/harnessed.rs::a_test_nothing_runs (tests/harnessed.rs:12) is compiled but no harness runs it"),
        "{}",
        stdout(&check)
    );

    assert_eq!(cargo_test(&fx), want.cargo, "cargo test");
    assert_eq!(nextest(&fx), want.cargo, "cargo nextest run");
}

/// The links are bytes in a section of the test binary, which an optimised build with
/// link-time optimisation and stripped symbols keeps whole: the same tests carry the same ids
/// as in a dev build.
#[test]
fn the_links_survive_an_optimised_build_with_lto_and_strip() {
    let _heavy = kv_alone();
    let fx = Fixture::new("adopt");
    // (target, test) → ids, of every listed and stranded test; and each binary's error.
    let ids = |args: &[&str], env: &[(&str, &str)]| {
        let out = fx.exemplar_env(args, env);
        let doc: ListDocument =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        let mut ids = BTreeMap::new();
        for b in &doc.binaries {
            assert_eq!(b.error, None, "{}", b.target);
            for t in b.tests.iter().chain(&b.stranded) {
                ids.insert((b.target.clone(), t.name.clone()), t.ids.clone());
            }
        }
        ids
    };
    let dev = ids(&["list", "--message-format", "json"], &[]);
    let optimised = ids(
        &["list", "--release", "--message-format", "json"],
        &[
            ("CARGO_PROFILE_RELEASE_LTO", "fat"),
            ("CARGO_PROFILE_RELEASE_STRIP", "symbols"),
        ],
    );
    assert!(
        dev.values().filter(|i| !i.is_empty()).count() >= 10,
        "{dev:?}"
    );
    assert_eq!(optimised, dev);
}

/// `cargo test --no-fail-fast` in the fixture: each binary's `test NAME ... VERDICT` lines,
/// under the `Running` line that names the binary (stderr merged into stdout, in order).
fn cargo_test(fx: &Fixture) -> Outcomes {
    let out = Command::new("sh")
        .args([
            "-c",
            "exec \"$0\" test --no-fail-fast -- --test-threads 1 2>&1",
        ])
        .arg(env!("CARGO"))
        .current_dir(fx.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    let mut got = Outcomes::new();
    let mut binary = String::new();
    for line in stdout(&out).lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Running ") {
            binary = if rest.starts_with("unittests src/lib.rs") {
                "adopt".to_owned()
            } else {
                let file = rest.split_whitespace().next().unwrap();
                file.trim_start_matches("tests/")
                    .trim_end_matches(".rs")
                    .to_owned()
            };
        } else if let Some(rest) = line.strip_prefix("test ")
            && let Some((name, verdict)) = rest.rsplit_once(" ... ")
        {
            let name = name.trim_end_matches(" - should panic").to_owned();
            let outcome = match verdict {
                "ok" => "passed",
                "FAILED" => "failed",
                v if v.starts_with("ignored") => "ignored",
                v => panic!("verdict {v}"),
            };
            got.insert((binary.clone(), name), outcome.to_owned());
        }
    }
    got
}

/// `cargo nextest run --no-fail-fast`: each test's status line.
fn nextest(fx: &Fixture) -> Outcomes {
    let out = Command::new(env!("CARGO"))
        .args([
            "nextest",
            "run",
            "--no-fail-fast",
            "--status-level",
            "all",
            "--final-status-level",
            "none",
            "--color",
            "never",
        ])
        .current_dir(fx.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    let text = stderr(&out) + &stdout(&out);
    assert!(
        !text.contains("no such command: `nextest`"),
        "cargo-nextest is not installed: the README's test command installs it"
    );
    let mut got = Outcomes::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(status) = words.first() else {
            continue;
        };
        let outcome = match *status {
            "PASS" => "passed",
            "FAIL" => "failed",
            "SKIP" => "ignored",
            _ => continue,
        };
        let (Some(binary), Some(name)) = (words.get(words.len() - 2), words.last()) else {
            continue;
        };
        let binary = binary.split("::").last().unwrap().to_owned();
        got.insert((binary, name.to_string()), outcome.to_owned());
    }
    got
}

/// The tests of a crate are built against its mission's ids: rewriting `signal:` and
/// `history:` (every run does) or a directive's text rebuilds nothing; a new id rebuilds.
#[test]
fn only_a_change_of_the_design_ids_rebuilds_the_tagged_tests() {
    let _heavy = kv_alone();
    let fx = Fixture::new("adopt");
    let compiled = |o: &std::process::Output| stderr(o).contains("Compiling adopt");
    let first = fx.exemplar(&["run"]);
    assert!(compiled(&first), "{}", stderr(&first));
    assert!(
        fx.read("mission.yaml").contains("signal:"),
        "the run rewrote the mission"
    );

    let again = fx.exemplar(&["run"]);
    assert!(
        !compiled(&again),
        "a rewrite of signal: rebuilt: {}",
        stderr(&again)
    );

    let text = fx.read("mission.yaml");
    fx.write(
        "mission.yaml",
        &text.replace("add holds for every listed case", "add holds for each case"),
    );
    let edited = fx.exemplar(&["run"]);
    assert!(
        !compiled(&edited),
        "a directive's text rebuilt: {}",
        stderr(&edited)
    );

    let text = fx.read("mission.yaml");
    let new_id = "  - id: S6\n    name: Multiplication\n    aspect_id: S0\n    status: proposed\n    detail: { invariant: \"mul(a, b) = a * b\" }\nsignal:";
    fx.write("mission.yaml", &text.replacen("signal:", new_id, 1));
    let added = fx.exemplar(&["run"]);
    assert!(
        compiled(&added),
        "a new id did not rebuild: {}",
        stderr(&added)
    );
}

/// A default-harness test that aborts its process is `crashed` and one past `--timeout` is
/// `timeout` (also one that floods its output), each by name, and every other test of the binary still runs; alike in one
/// process per test (`--isolate`).
#[test]
fn default_harness_crashes_and_timeouts_are_named_and_the_rest_still_run() {
    let fx = Fixture::new("crashing");
    for extra in [&[][..], &["--isolate"][..]] {
        let mut args = vec!["run", "--timeout", "3"];
        args.extend(extra);
        let run = fx.exemplar(&args);
        assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
        let show = json(&fx.exemplar(&["show", "latest", "--message-format", "json"]));
        let outcome = |name: &str| {
            show["tests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["ref"] == format!("src/lib.rs::tests::{name}"))
                .unwrap_or_else(|| panic!("{name} in {show}"))
                .clone()
        };
        assert_eq!(outcome("aborts")["outcome"], "crashed", "{extra:?}");
        assert!(
            outcome("aborts")["output"]
                .as_str()
                .is_some_and(|o| o.contains("about to abort")),
            "{}",
            outcome("aborts")
        );
        assert_eq!(outcome("hangs")["outcome"], "timeout", "{extra:?}");
        assert!(outcome("hangs")["duration"].as_f64().unwrap() >= 3.0);
        assert_eq!(outcome("floods")["outcome"], "timeout", "{extra:?}");
        for name in ["before", "survives", "zzz_after"] {
            assert_eq!(outcome(name)["outcome"], "passed", "{name} {extra:?}");
        }
    }
}

/// What a user reads: the listing (libtest binaries with their links, stranded tests with
/// file and line) and the run's table, as snapshots.
#[test]
fn the_listing_and_the_table_of_an_adopted_crate() {
    let _heavy = kv_alone();
    let fx = Fixture::new("adopt");
    let list = stdout(&fx.exemplar(&["list"]));
    let run = fx.exemplar(&["run", "-q"]);
    let table = stdout(&run);
    // -q: no progress and no build messages, only the results.
    let progress = stderr(&run);
    assert!(
        !progress.contains("Running") && !progress.contains("Compiling"),
        "{progress}"
    );
    insta::with_settings!({filters => vec![
        (r"run \d{8}T\d{6}Z-[0-9a-f]{6}", "run [RUN]"),
        (r"show \d{8}T\d{6}Z-[0-9a-f]{6}", "show [RUN]"),
        (r"finished in \d+\.\d+s", "finished in [TIME]"),
        (r"thread '([^']*)' \(\d+\)", "thread '$1' ([TID])"),
    ]}, {
        insta::assert_snapshot!("adopt_list", list);
        insta::assert_snapshot!("adopt_run", table);
    });
}

/// `--retries`: a test that fails and then passes alone in a fresh process is `flaky` — in the
/// journal, the table and JUnit — and its directive's loss counts it as failing; the run passes
/// unless `--flaky-result fail`.
#[test]
fn a_test_that_passes_on_a_retry_is_flaky_and_never_clean_evidence() {
    let fx = Fixture::new("crashing");
    let run = fx.exemplar(&["run", "--retries", "2", "--", "settles"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        stdout(&run),
        stderr(&run)
    );
    assert!(
        stderr(&run).contains("FLAKY tests::settles"),
        "{}",
        stderr(&run)
    );
    let table = stdout(&run);
    assert!(table.contains("1 flaky"), "{table}");
    assert!(
        table.contains("  S3    Settles   active      1    1         0        1  1.000"),
        "flaky is never clean evidence: {table}"
    );
    let show = json(&fx.exemplar(&["show", "latest", "--message-format", "json"]));
    let settles = &show["tests"][0];
    assert_eq!(settles["outcome"], "flaky", "{show}");
    let message = settles["message"].as_str().unwrap();
    assert!(
        message.starts_with("failed at first, then passed on retry 1 of 2:\ntest panicked at"),
        "{message}"
    );
    let junit = fx.path().join("junit.xml");
    let report = fx.exemplar(&["report", "--junit", junit.to_str().unwrap()]);
    assert_eq!(report.status.code(), Some(0), "{}", stderr(&report));
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<flakyFailure")
    );

    std::fs::remove_file(fx.path().join("settled")).unwrap();
    let strict = fx.exemplar(&[
        "run",
        "--retries",
        "1",
        "--flaky-result",
        "fail",
        "--",
        "settles",
    ]);
    assert_eq!(strict.status.code(), Some(1), "{}", stdout(&strict));

    // The package's metadata sets the retries when the command line does not.
    std::fs::remove_file(fx.path().join("settled")).unwrap();
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!("{manifest}\n[package.metadata.exemplar]\nretries = 1\n"),
    );
    let configured = fx.exemplar(&["run", "--", "settles"]);
    assert_eq!(configured.status.code(), Some(0), "{}", stderr(&configured));
    assert!(
        stdout(&configured).contains("1 flaky"),
        "{}",
        stdout(&configured)
    );
    fx.write(
        "Cargo.toml",
        &format!("{manifest}\n[package.metadata.exemplar]\nretries = \"twice\"\n"),
    );
    let bad = fx.exemplar(&["run"]);
    assert_eq!(bad.status.code(), Some(4), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("retries"), "{}", stderr(&bad));

    // A test group's retries win over the package's; a malformed group is named (exit 4).
    std::fs::remove_file(fx.path().join("settled")).unwrap();
    let group = "[package.metadata.exemplar.test-groups.unsettled]";
    fx.write(
        "Cargo.toml",
        &format!(
            "{manifest}\n[package.metadata.exemplar]\nretries = 0\n\n{group}\nfilter = \"settles\"\nretries = 1\n"
        ),
    );
    let grouped = fx.exemplar(&["run", "--", "settles"]);
    assert_eq!(grouped.status.code(), Some(0), "{}", stderr(&grouped));
    assert!(stdout(&grouped).contains("1 flaky"), "{}", stdout(&grouped));
    fx.write(
        "Cargo.toml",
        &format!("{manifest}\n{group}\nfilter = \"settles\"\nthreads = 1\n"),
    );
    let bad = fx.exemplar(&["run"]);
    assert_eq!(bad.status.code(), Some(4), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("test-groups.unsettled.threads"),
        "{}",
        stderr(&bad)
    );
}

/// `--slow-timeout`: a test still running is told of at each multiple of the threshold, for
/// both harnesses' processes, before `--timeout` ends it.
#[test]
fn a_slow_test_is_told_of_while_it_runs() {
    let fx = Fixture::new("crashing");
    let run = fx.exemplar(&[
        "run",
        "--slow-timeout",
        "1",
        "--timeout",
        "3",
        "--",
        "hangs",
    ]);
    let progress = stderr(&run);
    // At 1 s and 2 s, unless a loaded machine delays the watch past both at once.
    let slow = progress.matches("SLOW tests::hangs: running for").count();
    assert!((1..=3).contains(&slow), "{progress}");
    assert!(progress.contains("TIMEOUT tests::hangs"), "{progress}");
    let bad = fx.exemplar(&["run", "--slow-timeout", "-1"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

/// `-j` and `--build-jobs`, as nextest names them, are taken by a real run (their plumbing is
/// unit-tested in the CLI); a bad value is a usage error.
#[test]
fn test_threads_and_build_jobs_reach_the_harness_and_cargo() {
    let fx = Fixture::new("crashing");
    let run = fx.exemplar(&[
        "run",
        "-j",
        "1",
        "--build-jobs",
        "1",
        "-v",
        "--",
        "before",
        "zzz",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stdout(&run).contains("2 passed"), "{}", stdout(&run));
    let bad = fx.exemplar(&["run", "--build-jobs", "many"]);
    assert_eq!(bad.status.code(), Some(2));
}
