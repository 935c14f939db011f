//! The journal through the binary: runs are recorded and queried; a run killed mid-way shows
//! as incomplete with its durable outcomes; a second run waits (or, with --no-wait, fails);
//! damage is reported with its offset and repaired.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Fixture, json, stderr, stdout};

#[test]
fn runs_are_recorded_and_answer_questions() {
    let fx = Fixture::new("basic");
    let first = json(&fx.exemplar(&["run", "--message-format", "json", "--note", "first"]));
    fx.exemplar(&["run", "--message-format", "json", "--", "--skip", "aborts"]);
    let runs = json(&fx.exemplar(&["history", "--message-format", "json"]));
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["run_id"], first["run_id"]);
    assert_eq!(runs[0]["note"], "first");
    assert_eq!(runs[0]["complete"], true);
    assert_eq!(runs[0]["counts"]["crashed"], 1);
    assert_eq!(runs[1]["counts"]["crashed"], 0);

    // status: the latest run's loss, without building.
    let status = json(&fx.exemplar(&["status", "--message-format", "json"]));
    assert_eq!(status["run_id"], runs[1]["run_id"]);
    // status --at the first run: what we believed then.
    let id = first["run_id"].as_str().unwrap();
    let then = json(&fx.exemplar(&["status", "--at", id, "--message-format", "json"]));
    assert_eq!(
        then["missions"][0]["loss"].as_f64().unwrap(),
        first["missions"][0]["loss"].as_f64().unwrap()
    );

    // show: failure messages come back from their blobs.
    let shown = json(&fx.exemplar(&["show", id, "--message-format", "json"]));
    let fails = shown["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ref"] == "tests/outcomes.rs::fails")
        .unwrap();
    assert!(
        fails["message"]
            .as_str()
            .unwrap()
            .contains("arithmetic is broken")
    );

    // history of a test and of a directive.
    let h = json(&fx.exemplar(&["history", "returns_err", "--message-format", "json"]));
    assert_eq!(h["outcomes"].as_array().unwrap().len(), 2);
    let h = json(&fx.exemplar(&["history", "S3", "--message-format", "json"]));
    let losses: Vec<f64> = h["loss"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["loss"].as_f64().unwrap())
        .collect();
    assert_eq!(losses[0], 1.0);

    // diff: the crashing test was filtered out of the second run.
    let d = json(&fx.exemplar(&["diff", id, "latest", "--message-format", "json"]));
    let flipped = d["flipped"].as_array().unwrap();
    assert!(
        flipped
            .iter()
            .any(|f| f["ref"] == "tests/outcomes.rs::aborts" && f["to"].is_null()),
        "{d}"
    );

    let v = fx.exemplar(&["journal", "verify"]);
    assert!(v.status.success(), "{}", stderr(&v));
    assert!(stdout(&v).contains("every checksum verified"));
}

#[test]
fn a_run_killed_midway_is_incomplete_with_its_durable_outcomes() {
    let fx = Fixture::new("basic");
    // Build first, so the kill lands while tests run.
    fx.exemplar(&["run", "--no-journal", "--no-rewrite"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .args([
            "exemplar",
            "run",
            "--",
            "--test-threads",
            "1",
            "--skip",
            "aborts",
        ])
        .current_dir(fx.path())
        .env("CARGO_TARGET_DIR", crate::support::target_dir())
        .env("FIXTURE_SLEEP", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // sleeps_when_asked sleeps 60 s; the tests before it in name order are recorded by then.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let h = fx.exemplar(&["show", "latest", "--message-format", "json"]);
        if h.status.success() {
            let v = json(&h);
            if v["tests"].as_array().is_some_and(|t| t.len() >= 5) {
                break;
            }
        }
        assert!(Instant::now() < deadline, "no outcomes recorded");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let shown = json(&fx.exemplar(&["show", "latest", "--message-format", "json"]));
    assert_eq!(shown["complete"], false);
    let refs: Vec<&str> = shown["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ref"].as_str().unwrap())
        .collect();
    assert!(refs.contains(&"tests/outcomes.rs::fails"), "{refs:?}");
    assert!(
        !refs.contains(&"tests/outcomes.rs::sleeps_when_asked"),
        "it never finished"
    );
    let status = fx.exemplar(&["status"]);
    assert!(
        stdout(&status).contains("interrupted"),
        "{}",
        stdout(&status)
    );
    // The next run recovers and records normally.
    let out = fx.exemplar(&["run", "--message-format", "json"]);
    assert_eq!(json(&out)["counts"]["crashed"], 1, "{}", stderr(&out));
}

#[test]
fn a_second_run_waits_for_the_journal_or_fails_with_no_wait() {
    let fx = Fixture::new("basic");
    fx.exemplar(&["run", "--no-journal", "--no-rewrite"]);
    let mut first = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .args(["exemplar", "run", "--no-rewrite", "--", "sleeps_when_asked"])
        .current_dir(fx.path())
        .env("CARGO_TARGET_DIR", crate::support::target_dir())
        .env("FIXTURE_SLEEP", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first run holds the journal.
    let lock = fx.path().join(".exemplar/lock");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&lock)
        .map(|s| s.trim().is_empty())
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = fx.exemplar(&["run", "--no-wait", "--no-rewrite"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("locked by another writer"),
        "{}",
        stderr(&out)
    );
    // Without --no-wait it says it waits (we stop the first run so the wait ends).
    let second = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .args(["exemplar", "run", "--no-rewrite", "--", "passes"])
        .current_dir(fx.path())
        .env("CARGO_TARGET_DIR", crate::support::target_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    first.kill().unwrap();
    first.wait().unwrap();
    let out = second.wait_with_output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Waiting"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn damage_is_reported_with_its_offset_and_repaired() {
    let fx = Fixture::new("basic");
    fx.exemplar(&["run"]);
    fx.exemplar(&["run", "--", "--skip", "aborts"]);
    let seg = std::fs::read_dir(fx.path().join(".exemplar/wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "seg"))
        .unwrap();
    let mut data = std::fs::read(&seg).unwrap();
    let mid = data.len() / 3;
    data[mid] ^= 0x10;
    std::fs::write(&seg, &data).unwrap();
    let v = fx.exemplar(&["journal", "verify"]);
    assert_eq!(v.status.code(), Some(5));
    assert!(stderr(&v).contains("at offset"), "{}", stderr(&v));
    // A run refuses to write until repair.
    let r = fx.exemplar(&["run", "--no-rewrite"]);
    assert_eq!(r.status.code(), Some(5));
    assert!(stderr(&r).contains("journal repair"), "{}", stderr(&r));
    let rep = fx.exemplar(&["journal", "repair"]);
    assert!(rep.status.success(), "{}", stderr(&rep));
    assert!(stdout(&rep).contains("moved damaged"), "{}", stdout(&rep));
    assert!(fx.exemplar(&["journal", "verify"]).status.success());
    assert!(
        fx.exemplar(&["run", "--no-rewrite", "--", "passes"])
            .status
            .success()
    );
}

#[test]
fn prune_lets_old_runs_go_by_flag_or_by_the_configured_retention() {
    let fx = Fixture::new("basic");
    let mut ids = Vec::new();
    for note in ["one", "two", "three", "four"] {
        let run = json(&fx.exemplar(&["run", "--message-format", "json", "--note", note]));
        ids.push(run["run_id"].as_str().unwrap().to_owned());
    }
    let history = |fx: &Fixture| -> Vec<String> {
        let h = json(&fx.exemplar(&["history", "--message-format", "json"]));
        h["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["run_id"].as_str().unwrap().to_owned())
            .collect()
    };
    fx.exemplar(&["journal", "export", "all.exbundle"]);

    // A dry run says what would go and changes nothing.
    let dry = json(&fx.exemplar(&[
        "journal",
        "prune",
        "--keep-runs",
        "2",
        "--dry-run",
        "--message-format",
        "json",
    ]));
    assert_eq!(dry["format"], "exemplar-journal-prune");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["pruned"], serde_json::json!(ids[..2]));
    assert_eq!(history(&fx), ids);

    // No rule and no configured retention: a usage error that says what to do.
    let none = fx.exemplar(&["journal", "prune"]);
    assert_eq!(none.status.code(), Some(2), "{}", stderr(&none));
    assert!(stderr(&none).contains("--keep-runs"), "{}", stderr(&none));
    let bad = fx.exemplar(&["journal", "prune", "--older-than", "soon"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("not an age"), "{}", stderr(&bad));

    // The configured retention is the default.
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!("{manifest}\n[package.metadata.exemplar.retention]\nkeep-runs = 3\n"),
    );
    let pruned = fx.exemplar(&["journal", "prune"]);
    assert!(pruned.status.success(), "{}", stderr(&pruned));
    assert!(
        stdout(&pruned).starts_with("pruned 1 runs, kept 3"),
        "{}",
        stdout(&pruned)
    );
    assert_eq!(history(&fx), ids[1..]);

    // The kept runs still answer, their messages included.
    let shown = json(&fx.exemplar(&["show", &ids[3], "--message-format", "json"]));
    let failed = shown["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["outcome"] == "failed");
    assert!(failed.is_some_and(|t| t["message"].as_str().is_some_and(|m| !m.is_empty())));
    let verify = fx.exemplar(&["journal", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));

    // An import of the pruned run leaves it pruned.
    let import = fx.exemplar(&["journal", "import", "all.exbundle"]);
    assert!(
        stdout(&import).contains("1 were pruned from this journal and stay pruned"),
        "{}",
        stdout(&import)
    );
    assert_eq!(history(&fx), ids[1..]);

    // Runs go on being recorded.
    let next = json(&fx.exemplar(&["run", "--message-format", "json"]));
    let mut expected = ids[1..].to_vec();
    expected.push(next["run_id"].as_str().unwrap().to_owned());
    assert_eq!(history(&fx), expected);
}
