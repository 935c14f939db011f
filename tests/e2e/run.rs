//! `cargo exemplar run` against fixture projects: outcomes, loss, the rewritten mission file,
//! filters, crashes, timeouts, errors and exit codes.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{Fixture, json, stderr, stdout};

/// The outcome of every signal entry of a mission file, by ref.
fn signal_outcomes(fx: &Fixture, rel: &str) -> BTreeMap<String, String> {
    let m = exemplar_mission::parse_str(Path::new(rel), &fx.read(rel)).unwrap();
    m.signal
        .iter()
        .map(|s| {
            (
                s.reference.clone(),
                s.result
                    .as_ref()
                    .map(|r| r.outcome.to_string())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn directive<'a>(doc: &'a serde_json::Value, mission: usize, id: &str) -> &'a serde_json::Value {
    doc["missions"][mission]["directives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("no directive {id}"))
}

fn check_expected(fx: &Fixture, out: &std::process::Output) {
    let want = fx.expected();
    assert_eq!(
        out.status.code(),
        want["exit"].as_i64().map(|c| c as i32),
        "stderr:\n{}",
        stderr(out)
    );
    let got = signal_outcomes(fx, "mission.yaml");
    let want_outcomes: BTreeMap<String, String> = want["outcomes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(got, want_outcomes);
    let doc = json(out);
    assert_eq!(doc["missions"][0]["loss"], want["mission_loss"]);
    for (id, loss) in want["loss"].as_object().unwrap() {
        assert_eq!(&directive(&doc, 0, id)["loss"], loss, "{id}");
    }
}

#[test]
fn a_run_records_every_outcome_and_the_loss() {
    let fx = Fixture::new("basic");
    let out = fx.exemplar(&["run", "--message-format", "json"]);
    check_expected(&fx, &out);
    let doc = json(&out);
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["counts"]["crashed"], 1);
    assert_eq!(doc["counts"]["ignored"], 1);
    // Retired directives are shown but not measured; proposed ones are measured.
    assert_eq!(directive(&doc, 0, "S5")["loss"], serde_json::Value::Null);
    assert_eq!(directive(&doc, 0, "S4")["uncovered"], true);
    assert_eq!(directive(&doc, 0, "S4")["status"], "proposed");
}

#[test]
fn many_threads_and_isolation_give_the_same_outcomes() {
    let fx = Fixture::new("basic");
    let out = fx.exemplar(&[
        "run",
        "--message-format",
        "json",
        "--",
        "--test-threads",
        "8",
    ]);
    check_expected(&fx, &out);
    let fx = Fixture::new("basic");
    let out = fx.exemplar(&["run", "--isolate", "--message-format", "json"]);
    check_expected(&fx, &out);
}

#[test]
fn the_json_report_carries_the_remediation_signal() {
    let fx = Fixture::new("basic");
    let doc = json(&fx.exemplar(&["run", "--message-format", "json"]));
    let s2 = directive(&doc, 0, "S2");
    assert_eq!(s2["invariant"], "a failing test gives loss 1");
    assert_eq!(s2["constraint"], "the message reaches the report");
    let failing = s2["failing_tests"].as_array().unwrap();
    let refs: Vec<&str> = failing.iter().map(|t| t["ref"].as_str().unwrap()).collect();
    assert_eq!(
        refs,
        ["tests/outcomes.rs::fails", "tests/outcomes.rs::returns_err"]
    );
    assert!(
        failing[0]["message"]
            .as_str()
            .unwrap()
            .contains("arithmetic is broken")
    );
    assert_eq!(failing[0]["file"], "tests/outcomes.rs");
    assert!(failing[0]["line"].as_u64().unwrap() > 0);
    assert_eq!(failing[1]["message"], "Error: \"the store refused\"");
    let s3 = directive(&doc, 0, "S3");
    assert_eq!(s3["failing_tests"][0]["outcome"], "crashed");
    assert!(
        s3["failing_tests"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SIGABRT")
    );
}

#[test]
fn the_mission_keeps_its_comments_and_an_identical_run_changes_no_byte() {
    let fx = Fixture::new("basic");
    let before = fx.read("mission.yaml");
    fx.exemplar(&["run"]);
    let first = fx.read("mission.yaml");
    assert_ne!(before, first);
    let design_part = before.trim_end();
    assert!(
        first.starts_with(design_part),
        "everything before signal: stays"
    );
    assert!(first.contains("# Failing evidence."));
    let out = fx.exemplar(&["run"]);
    assert!(
        stdout(&out).contains("mission.yaml unchanged"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        first,
        fx.read("mission.yaml"),
        "the second run must not change a byte"
    );
    let m = exemplar_mission::parse_str(Path::new("mission.yaml"), &first).unwrap();
    assert_eq!(m.history.len(), 1);
}

#[test]
fn no_rewrite_leaves_the_file_alone() {
    let fx = Fixture::new("basic");
    let before = fx.read("mission.yaml");
    let out = fx.exemplar(&["run", "--no-rewrite"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(before, fx.read("mission.yaml"));
}

#[test]
fn a_filtered_run_says_what_it_left_out() {
    let fx = Fixture::new("basic");
    let out = fx.exemplar(&["run", "--message-format", "json", "--", "passes", "--exact"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let s2 = directive(&doc, 0, "S2");
    assert_eq!(
        (
            s2["linked"].as_u64(),
            s2["ran"].as_u64(),
            s2["filtered"].as_u64()
        ),
        (Some(3), Some(0), Some(3))
    );
    // Filtered tests without earlier evidence earn no credit: S2 is not clean.
    assert_eq!(s2["loss"], 1.0);
    assert_eq!(directive(&doc, 0, "S1")["ran"], 1);
}

#[test]
fn design_selects_tests_by_directive() {
    let fx = Fixture::new("basic");
    let out = fx.exemplar(&["run", "--design", "S3", "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["counts"]["passed"], 0);
    assert_eq!(doc["counts"]["crashed"], 1);
    assert_eq!(directive(&doc, 0, "S1")["ran"], 0);
    // An unknown id is a usage error.
    let out = fx.exemplar(&["run", "--design", "S42"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("S42"), "{}", stderr(&out));
}

#[test]
fn a_test_past_the_timeout_is_killed_and_recorded() {
    let fx = Fixture::new("basic");
    let t0 = std::time::Instant::now();
    let out = fx.exemplar_env(
        &[
            "run",
            "--timeout",
            "2",
            "--message-format",
            "json",
            "--",
            "sleeps_when_asked",
        ],
        &[("FIXTURE_SLEEP", "1")],
    );
    assert!(
        t0.elapsed().as_secs() < 50,
        "the 60 s test was not cut short"
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["counts"]["timeout"], 1);
    assert_eq!(
        signal_outcomes(&fx, "mission.yaml")["tests/outcomes.rs::sleeps_when_asked"],
        "timeout"
    );
}

#[test]
fn a_wrong_id_fails_the_build_at_the_id() {
    let fx = Fixture::new("basic");
    let src = fx
        .read("tests/second.rs")
        .replace("#[design(S1)]", "#[design(S9)]");
    fx.write("tests/second.rs", &src);
    let out = fx.exemplar(&["run"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("unknown design id `S9`"), "{err}");
    assert!(err.contains("tests/second.rs:5:10"), "{err}");
    assert!(err.contains("known: S0, S1, S2, S3, S4"), "{err}");
}

#[test]
fn a_malformed_mission_is_an_input_error_with_a_position() {
    let fx = Fixture::new("basic");
    let text = fx.read("mission.yaml").replace(
        "aspect_id: S0\n    detail:\n      invariant: an aborting",
        "aspect_id: S7\n    detail:\n      invariant: an aborting",
    );
    fx.write("mission.yaml", &text);
    let out = fx.exemplar(&["run"]);
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(
        err.contains("mission.yaml:29:16: `aspect_id` names `S7`"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let fx = Fixture::new("basic");
    let out = fx.exemplar(&["run", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = fx.exemplar(&["run", "--timeout", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = fx.exemplar(&["run", "-p", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`nope` is not a member"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_workspace_runs_every_mission_package_and_notes_the_others() {
    let fx = Fixture::new("workspace");
    let out = fx.exemplar(&["run", "--message-format", "json"]);
    let want = fx.expected();
    assert_eq!(
        out.status.code(),
        Some(want["exit"].as_i64().unwrap() as i32),
        "{}",
        stderr(&out)
    );
    let doc = json(&out);
    for (i, (id, loss)) in want["missions"].as_object().unwrap().iter().enumerate() {
        assert_eq!(&doc["missions"][i]["id"], id);
        assert_eq!(&doc["missions"][i]["loss"], loss);
    }
    let skipped: Vec<&str> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["package"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["gamma"]);
    assert!(
        stderr(&out).contains("Skipping package gamma: no mission file at gamma/mission.yaml"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        signal_outcomes(&fx, "beta/design.yaml")["tests/beta.rs::beta_is_two"],
        "passed"
    );
    assert_eq!(
        signal_outcomes(&fx, "alpha/mission.yaml")["tests/alpha.rs::alpha_is_one"],
        "passed"
    );
    // -p narrows the run.
    let out = fx.exemplar(&["run", "-p", "alpha", "--message-format", "json"]);
    let doc = json(&out);
    assert_eq!(doc["missions"].as_array().unwrap().len(), 1);
}

#[test]
fn the_human_report() {
    let fx = Fixture::new("basic");
    // One test at a time: which tests a crash takes down with it (and re-runs alone, with
    // their output) must not depend on scheduling.
    let out = fx.exemplar(&["run", "--", "--test-threads", "1"]);
    let text = stdout(&out);
    insta::with_settings!({filters => vec![
        (r"run \d{8}T\d{6}Z-[0-9a-f]{6}", "run [RUN]"),
        (r"finished in \d+\.\d+s", "finished in [TIME]"),
        (r"thread '([^']*)' \(\d+\)", "thread '$1' ([TID])"),
    ]}, {
        insta::assert_snapshot!(text);
    });
}

#[test]
fn the_reference_missions_sit_at_loss_zero() {
    let _kv = crate::support::kv_alone();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .args([
            "exemplar",
            "run",
            "--no-rewrite",
            "--no-journal",
            "--message-format",
            "json",
            // kv's throughput test measures fsync latency: not beside the stress tests.
            "--",
            "--test-threads",
            "1",
        ])
        .current_dir(crate::support::repo_root())
        .env("CARGO_TARGET_DIR", crate::support::target_dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let missions: Vec<(&str, f64)> = doc["missions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["loss"].as_f64().unwrap()))
        .collect();
    assert!(missions.iter().any(|(id, _)| *id == "kv"), "{missions:?}");
    for (id, loss) in missions {
        assert_eq!(loss, 0.0, "mission {id}");
    }
}

#[test]
fn history_names_the_commit_and_a_dirty_tree() {
    let fx = Fixture::new("basic");
    let git = |args: &[&str]| crate::support::git(fx.path(), args);
    // Settle Cargo.lock (cargo prunes the copied lockfile) before committing.
    fx.exemplar(&["run", "--no-journal", "--no-rewrite"]);
    git(&["init", "-q"]);
    std::fs::write(fx.path().join(".gitignore"), ".exemplar/\n").unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "fixture"]);
    let head = git(&["rev-parse", "--short=7", "HEAD"]);
    fx.exemplar(&["run", "--note", "clean tree"]);
    let m =
        exemplar_mission::parse_str(Path::new("mission.yaml"), &fx.read("mission.yaml")).unwrap();
    assert_eq!(m.history[0].commit.as_deref(), Some(head.as_str()));
    assert_eq!(m.history[0].note.as_deref(), Some("clean tree"));
    // The run rewrote mission.yaml, so the tree is dirty now; a change makes a new entry.
    let src = fx.read("tests/second.rs").replace(
        "fn second_passes() {}",
        "fn second_passes() { panic!(\"now failing\") }",
    );
    fx.write("tests/second.rs", &src);
    let out = fx.exemplar(&["run"]);
    let m =
        exemplar_mission::parse_str(Path::new("mission.yaml"), &fx.read("mission.yaml")).unwrap();
    assert_eq!(m.history.len(), 2, "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(
        m.history[1].commit.as_deref(),
        Some(format!("{head}+dirty").as_str())
    );
}

#[test]
fn editing_the_mission_rebuilds_the_tests() {
    let fx = Fixture::new("basic");
    assert_eq!(fx.exemplar(&["run", "--no-journal"]).status.code(), Some(1));
    // Retire S3: the test tagged with it must no longer compile.
    let text = fx.read("mission.yaml").replace(
        "    name: Crash\n    aspect_id: S0\n",
        "    name: Crash\n    aspect_id: S0\n    status: retired\n",
    );
    fx.write("mission.yaml", &text);
    let out = fx.exemplar(&["run", "--no-journal"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("design id `S3` is retired"),
        "{}",
        stderr(&out)
    );
}

/// A default-harness target whose tests each note which of the others were running when it
/// started and when it ended (marker files in `running/`, a note per test in `seen/`).
const GROUPED_TESTS: &str = r#"
use std::{fs, path::Path, thread, time::Duration};

fn others(dir: &Path, me: &str) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != me)
        .collect()
}

fn visit(me: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (running, seen) = (root.join("running"), root.join("seen"));
    fs::create_dir_all(&running).unwrap();
    fs::create_dir_all(&seen).unwrap();
    fs::write(running.join(me), "").unwrap();
    let mut saw = others(&running, me);
    thread::sleep(Duration::from_millis(400));
    saw.extend(others(&running, me));
    fs::remove_file(running.join(me)).unwrap();
    fs::write(seen.join(me), saw.join("\n")).unwrap();
}

#[test] fn grouped_alone() { visit("grouped_alone") }
#[test] fn grouped_disk_a() { visit("grouped_disk_a") }
#[test] fn grouped_disk_b() { visit("grouped_disk_b") }
#[test] fn grouped_disk_c() { visit("grouped_disk_c") }
#[test] fn grouped_free_a() { visit("grouped_free_a") }
#[test] fn grouped_free_b() { visit("grouped_free_b") }
#[test] fn grouped_free_c() { visit("grouped_free_c") }
#[test] fn grouped_free_d() { visit("grouped_free_d") }
"#;

#[test]
fn test_groups_bound_what_runs_beside_their_tests_in_real_processes() {
    let fx = Fixture::new("basic");
    fx.write("tests/groups.rs", GROUPED_TESTS);
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!(
            "{manifest}\n[package.metadata.exemplar.test-groups.quiet]\nfilter = \"grouped_alone\"\nalone = true\n\n\
             [package.metadata.exemplar.test-groups.disk]\ntests = [\"grouped_disk_a\", \"grouped_disk_b\", \"grouped_disk_c\"]\nmax-threads = 1\n"
        ),
    );
    // The first run knows no durations (the tests share batches); the second gives each test
    // of 0.2 s or more a batch of its own, so the free tests surely run side by side.
    for round in 0..2 {
        let _ = std::fs::remove_dir_all(fx.path().join("seen"));
        let out = fx.exemplar(&["run", "-j", "3", "--", "grouped_"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let seen = |test: &str| -> Vec<String> {
            let note = fx.read(&format!("seen/{test}"));
            note.lines().map(str::to_owned).collect()
        };
        let alone = seen("grouped_alone");
        assert!(
            alone.is_empty(),
            "round {round}: the alone test saw {alone:?}"
        );
        for test in ["grouped_disk_a", "grouped_disk_b", "grouped_disk_c"] {
            let mates: Vec<String> = (seen(test).into_iter())
                .filter(|t| t.starts_with("grouped_disk"))
                .collect();
            assert!(
                mates.is_empty(),
                "round {round}: {test} ran beside {mates:?}"
            );
        }
        if round == 1 {
            let side_by_side = ["grouped_free_a", "grouped_free_b", "grouped_free_c"]
                .iter()
                .any(|t| !seen(t).is_empty());
            assert!(
                side_by_side,
                "the free tests never ran side by side: {}",
                stdout(&out)
            );
        }
    }
}
