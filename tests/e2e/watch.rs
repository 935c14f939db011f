//! `cargo exemplar watch` on the basic fixture: a saved test file runs its target, a design
//! change runs the tests of the directives that changed, the runs' own rewrites of the mission
//! file run nothing, and each run is journaled as the partial run it is.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{Fixture, json, target_dir};

/// Generous: the first step builds the fixture.
const PATIENCE: Duration = Duration::from_secs(600);

#[test]
fn watch_runs_what_changed_and_nothing_for_its_own_rewrites() {
    let fx = Fixture::new("basic");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .args(["exemplar", "watch", "--debounce", "200"])
        .current_dir(fx.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("[watch]") && tx.send(line).is_err() {
                break;
            }
        }
    });
    // Lines until the watcher waits again.
    let step = || -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = rx
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("the watcher went quiet after {seen:?}"));
            let waiting = line.contains("waiting for changes");
            seen.push(line);
            if waiting {
                return seen;
            }
        }
    };
    let first = step();
    assert!(
        first[0].starts_with("[watch] start: cargo exemplar run"),
        "{first:?}"
    );
    assert!(
        first
            .iter()
            .any(|l| l.starts_with("[watch] basic: loss 0.667")),
        "{first:?}"
    );

    let source = fx.read("tests/second.rs");
    fx.write("tests/second.rs", &format!("{source}\n// saved again\n"));
    let second = step();
    assert!(
        second[0].starts_with(
            "[watch] tests/second.rs changed: cargo exemplar run -p basic --test second"
        ),
        "{second:?}"
    );
    assert!(
        second
            .iter()
            .any(|l| l == "[watch] basic: loss 0.667 (unchanged)"),
        "{second:?}"
    );

    let out = fx.exemplar(&[
        "design",
        "update",
        "S2",
        "--constraint",
        "the whole message reaches the report",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let third = step();
    assert!(
        third[0].starts_with("[watch] the design changed: S2: cargo exemplar run --design=S2"),
        "{third:?}"
    );
    // Its run rewrote the mission file: nothing more runs.
    assert!(
        rx.recv_timeout(Duration::from_secs(3)).is_err(),
        "a run for the watcher's own rewrite"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let runs = json(&fx.exemplar(&["history", "--message-format", "json"]));
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "{runs:?}");
    let latest = json(&fx.exemplar(&["show", "latest", "--message-format", "json"]));
    let refs: Vec<&str> = latest["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ref"].as_str().unwrap())
        .collect();
    assert!(
        !refs.is_empty() && refs.iter().all(|r| r.starts_with("tests/outcomes.rs::")),
        "{refs:?}"
    );
}
