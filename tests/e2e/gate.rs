//! `cargo exemplar check` and `cargo exemplar hook install`, through the binary and real git.

use std::path::Path;
use std::process::Command;

use crate::support::{Fixture, json, stderr, stdout};

fn git(fx: &Fixture, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(fx.path())
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// A fixture in a git repository whose HEAD holds a mission file with a recorded, green signal.
fn committed() -> Fixture {
    let fx = Fixture::new("gate");
    assert_eq!(fx.exemplar(&["run"]).status.code(), Some(0));
    std::fs::write(fx.path().join(".gitignore"), ".exemplar/\n").unwrap();
    assert!(git(&fx, &["init", "-q"], &[]).status.success());
    assert!(git(&fx, &["add", "-A"], &[]).status.success());
    assert!(
        git(&fx, &["commit", "-q", "-m", "green"], &[])
            .status
            .success()
    );
    fx
}

fn mission(v: &serde_json::Value) -> &serde_json::Value {
    &v["missions"][0]
}

#[test]
fn check_passes_when_nothing_rose_and_fails_with_the_remediation_signal() {
    let fx = committed();
    let before = fx.read("mission.yaml");
    let ok = fx.exemplar(&["check", "--message-format", "json"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let doc = json(&ok);
    assert_eq!(doc["ok"], true);
    assert!(doc["baseline"].as_str().unwrap().contains("HEAD"));

    let bad = fx.exemplar_env(
        &["check", "--message-format", "json"],
        &[("GATE_BREAK", "1")],
    );
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    let doc = json(&bad);
    assert_eq!(doc["ok"], false);
    let v = &mission(&doc)["violations"][0];
    assert_eq!(v["id"], "S1");
    assert_eq!(
        (v["before"].as_f64(), v["after"].as_f64()),
        (Some(0.0), Some(0.5))
    );
    assert_eq!(v["invariant"], "flippable() passes");
    assert_eq!(v["constraint"], "no regression reaches a commit");
    assert_eq!(v["failing_tests"][0]["ref"], "tests/gate.rs::flippable");
    assert!(
        v["failing_tests"][0]["message"]
            .as_str()
            .unwrap()
            .contains("asked to break")
    );
    let r = &mission(&doc)["regressions"][0];
    assert_eq!(r["ref"], "tests/gate.rs::flippable");
    assert!(r["line"].as_u64().unwrap() > 0);
    // check does not rewrite the mission file unless asked.
    assert_eq!(before, fx.read("mission.yaml"));
    // The human output says the same.
    let human = fx.exemplar_env(&["check"], &[("GATE_BREAK", "1")]);
    let text = stdout(&human);
    assert!(
        text.contains("S1 Stays green [active]: loss 0.000 → 0.500"),
        "{text}"
    );
    assert!(text.contains("invariant:  flippable() passes"), "{text}");
    assert!(
        text.contains("passed in the baseline, failed now"),
        "{text}"
    );
}

#[test]
fn proposed_directives_never_fail_the_gate_but_a_ceiling_does() {
    let fx = committed();
    let out = fx.exemplar_env(
        &["check", "--message-format", "json"],
        &[("GATE_BREAK_PROPOSED", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(mission(&doc)["proposed"][0]["id"], "S2");
    assert!(mission(&doc)["violations"].as_array().unwrap().is_empty());
    let out = fx.exemplar_env(
        &["check", "--max-loss", "0.2", "--message-format", "json"],
        &[("GATE_BREAK_PROPOSED", "1")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(mission(&json(&out))["over_ceiling"], true);
    assert_eq!(
        fx.exemplar(&["check", "--max-loss", "2"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_baseline_run_from_the_journal() {
    let fx = committed();
    // A failing run becomes the baseline: failing again is no regression.
    let failing = json(&fx.exemplar_env(
        &["run", "--no-rewrite", "--message-format", "json"],
        &[("GATE_BREAK", "1")],
    ));
    let id = failing["run_id"].as_str().unwrap().to_owned();
    let out = fx.exemplar_env(
        &["check", "--baseline", &id, "--message-format", "json"],
        &[("GATE_BREAK", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(json(&out)["baseline"].as_str().unwrap().contains(&id));
    // A commit works as a baseline too; nonsense is a usage error.
    assert_eq!(
        fx.exemplar(&["check", "--baseline", "HEAD"]).status.code(),
        Some(0)
    );
    assert_eq!(
        fx.exemplar(&["check", "--baseline", "no-such-thing"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_hook_blocks_a_commit_that_raises_loss_and_keeps_a_foreign_hook_when_chained() {
    let fx = committed();
    let hooks = fx.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let foreign = "#!/bin/sh\ntouch \"$(git rev-parse --show-toplevel)/foreign-hook-ran\"\n";
    std::fs::write(hooks.join("pre-commit"), foreign).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            hooks.join("pre-commit"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    // A foreign hook is not overwritten without --force or --chain.
    let out = fx.exemplar(&["hook", "install"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--chain"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        foreign
    );
    let out = fx.exemplar(&["hook", "install", "--chain"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.before-exemplar")).unwrap(),
        foreign
    );

    // `cargo exemplar` must resolve inside the hook, as for a user who ran `cargo install`.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let target = crate::support::target_dir();
    let target = target.to_str().unwrap();
    std::fs::write(fx.path().join("notes.txt"), "a change\n").unwrap();
    assert!(git(&fx, &["add", "notes.txt"], &[]).status.success());
    let env = [
        ("PATH", path.as_str()),
        ("CARGO_TARGET_DIR", target),
        ("GATE_BREAK", "1"),
        ("NO_COLOR", "1"),
    ];
    let blocked = git(&fx, &["commit", "-q", "-m", "breaks S1"], &env);
    assert!(
        !blocked.status.success(),
        "the gate let a regression through"
    );
    // git sends a hook's output to stderr.
    let said = format!("{}{}", stdout(&blocked), stderr(&blocked));
    assert!(said.contains("gate: FAILED"), "{said}");
    assert!(
        fx.path().join("foreign-hook-ran").exists(),
        "the chained hook did not run"
    );
    let env = [
        ("PATH", path.as_str()),
        ("CARGO_TARGET_DIR", target),
        ("NO_COLOR", "1"),
    ];
    let passed = git(&fx, &["commit", "-q", "-m", "fine"], &env);
    assert!(
        passed.status.success(),
        "{}{}",
        stdout(&passed),
        stderr(&passed)
    );
    // Installing again replaces exemplar's own hook and keeps the chain.
    assert!(fx.exemplar(&["hook", "install"]).status.success());
    let hook = std::fs::read_to_string(hooks.join("pre-commit")).unwrap();
    assert!(
        hook.contains("pre-commit.before-exemplar") && hook.contains("exec cargo exemplar check"),
        "{hook}"
    );
}
