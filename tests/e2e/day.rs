//! A user's day on a project made by `cargo exemplar new`, in a fresh git repository, with
//! the flags people type daily: each step is a reproduction from the field, its expected
//! result written beside it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{git, stderr, stdout, target_dir};

struct Day {
    _dir: tempfile::TempDir,
    project: PathBuf,
}

impl Day {
    fn exemplar(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
            .arg("exemplar")
            .args(args)
            .current_dir(&self.project)
            .env("CARGO_TARGET_DIR", target_dir())
            .env("NO_COLOR", "1")
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap()
    }

    fn git(&self, args: &[&str]) {
        git(&self.project, args);
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.project.join(rel)
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.path(rel)).unwrap();
        assert!(text.contains(from), "{rel} has no {from:?}");
        std::fs::write(self.path(rel), text.replacen(from, to, 1)).unwrap();
    }

    fn mission(&self) -> String {
        std::fs::read_to_string(self.path("mission.yaml")).unwrap()
    }

    fn history(&self) -> Vec<f64> {
        exemplar_mission::parse_str(Path::new("mission.yaml"), &self.mission())
            .unwrap()
            .history
            .iter()
            .map(|h| h.loss)
            .collect()
    }

    fn runs(&self) -> usize {
        let out = self.exemplar(&["history", "--message-format", "json"]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["runs"].as_array().unwrap().len()
    }
}

/// `cargo exemplar new --template kv` in a temporary folder, committed.
fn morning() -> Day {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shop");
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"))
        .args(["exemplar", "new", "--template", "kv"])
        .arg(&project)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let day = Day { _dir: dir, project };
    // Its own version, so its artifacts do not collide with other copies (see support.rs).
    let version = format!("version = \"0.1.0-day.{}\"", std::process::id());
    day.edit("Cargo.toml", "version = \"0.1.0\"", &version);
    day.git(&["add", "-A"]);
    day.git(&["commit", "-q", "-m", "a new project"]);
    day
}

#[test]
fn a_users_day() {
    let _kv = crate::support::kv_alone();
    let day = morning();
    assert!(!stdout(&day.exemplar(&["run", "--no-journal", "--no-rewrite"])).is_empty());
    // kv's throughput test measures fsync latency: not beside its own stress tests.
    let full = ["run", "--", "--test-threads", "1"];
    let out = day.exemplar(&full);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(day.history(), [0.0]);
    day.git(&["commit", "-q", "-am", "first signal"]);
    let committed = day.mission();

    // Reproduction: `run -- --list` ran nothing, yet rewrote the file with every directive
    // uncovered and recorded a loss-1.0 run. Filters that run nothing or part of the suite
    // leave the file as it is.
    for (args, shown) in [
        (&["run", "--", "--list"][..], "wal_ordering"),
        (&["run", "--", "no_such_test"][..], "no test ran"),
        (&["run", "--", "wal"][..], "1 passed, 0 failed"),
        (
            &["run", "--design", "S1", "--", "--skip", "throughput"][..],
            "0 passed, 0 failing, 0 ignored, 3 filtered out",
        ),
    ] {
        let out = day.exemplar(args);
        let text = stdout(&out);
        assert!(text.contains(shown), "{args:?}:\n{text}");
        assert!(!text.contains("uncovered"), "{args:?}:\n{text}");
        assert_eq!(day.mission(), committed, "{args:?} rewrote the mission");
    }
    assert_eq!(day.runs(), 3, "the two runs that ran tests, and the first");

    // Reproduction: edit S1, run S2 only (S1 goes stale), then re-verify everything. The file
    // stayed at the stale loss for good; now its last entry is what `status` shows.
    day.edit(
        "mission.yaml",
        "constraint: ack implies durable",
        "constraint: an ack implies the write is durable",
    );
    day.git(&["commit", "-q", "-am", "S1 says more"]);
    day.exemplar(&["run", "--design", "S2"]);
    let stale = *day.history().last().unwrap();
    assert!(stale > 0.0, "S1's tests ran before it changed");
    day.exemplar(&full);
    assert_eq!(day.history().last(), Some(&0.0));
    let status = stdout(&day.exemplar(&["status"]));
    assert!(status.contains("Write-Ahead Log"), "{status}");
    assert!(
        status.contains("mission kv Key-Value Store: loss 0.000"),
        "{status}"
    );

    // Reproduction: a failing test's output was never shown.
    day.edit(
        "tests/kv.rs",
        "fn empty_log() {\n",
        "fn empty_log() {\n    println!(\"opening an empty log\");\n    assert!(false, \"an empty log must open with no records\");\n",
    );
    let out = day.exemplar(&["run", "--", "--skip", "throughput"]);
    assert_eq!(out.status.code(), Some(1));
    let table = stdout(&out);
    for shown in [
        "x tests/kv.rs::empty_log",
        "an empty log must open with no records",
        "opening an empty log",
    ] {
        assert!(table.contains(shown), "{shown:?} in:\n{table}");
    }

    // Reproduction: a failing untagged unit test was "FAILED: 2 passed, 1 failed", unnamed.
    let lib = std::fs::read_to_string(day.path("src/lib.rs")).unwrap()
        + "\n#[cfg(test)]\nmod day {\n    #[test]\n    fn keys_sort() {\n        assert!(\"b\" < \"a\", \"keys sort backwards\");\n    }\n}\n";
    std::fs::write(day.path("src/lib.rs"), lib).unwrap();
    let table = stdout(&day.exemplar(&["run", "--", "--skip", "throughput"]));
    assert!(
        table.contains("x src/lib.rs::day::keys_sort: failed"),
        "{table}"
    );
    assert!(table.contains("keys sort backwards"), "{table}");
    assert!(
        !day.mission().contains("keys_sort"),
        "untagged tests stay out of signal:"
    );
}
