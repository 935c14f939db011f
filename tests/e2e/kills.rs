//! The kill campaign, run on demand: SIGKILL the runner itself (`cargo-exemplar`, not a cargo
//! in front of it) at random moments of `cargo exemplar run`, over a project whose one test
//! flips between passing and failing on every run, so every run that finishes rewrites the
//! mission file. After each kill: the mission file is the old one or a whole new one (it
//! parses, with the same design), no temporary file is left beside it, the journal verifies,
//! and the next run succeeds.
//!
//! `EXEMPLAR_KILLS=1000 cargo test -p cargo-exemplar --test e2e -- --ignored kills` (default
//! 1000 kills); it prints how many kills came before the rewrite, after it, and how many runs
//! were whole.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Fixture, stderr, target_dir};

const FLIPPING_TEST: &str = r#"use exemplar::design;

/// Passes on even runs, fails on odd ones: every run changes the signal.
#[design(S1)]
#[test]
fn flips() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("flip-count");
    let n: u64 = std::fs::read_to_string(&path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    std::fs::write(&path, (n + 1).to_string()).unwrap();
    assert!(n % 2 == 0, "odd run {n}");
}
"#;

fn run(fx: &Fixture) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"));
    cmd.args(["exemplar", "run", "-q", "--test", "flip"])
        .current_dir(fx.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// A small deterministic generator (xorshift), so a campaign can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[test]
#[ignore = "on demand: EXEMPLAR_KILLS=N (default 1000); minutes per hundred kills"]
fn kills_of_the_runner_leave_the_old_mission_or_the_new_and_a_journal_that_verifies() {
    let kills: u64 = std::env::var("EXEMPLAR_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(1000);
    let fx = Fixture::new("basic");
    fx.write("tests/flip.rs", FLIPPING_TEST);
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!("{manifest}\n[[test]]\nname = \"flip\"\npath = \"tests/flip.rs\"\n"),
    );
    // A whole run first (it builds); kills are spread over the shortest of three runs after
    // it (a first campaign timed the building run, 25 s, and all 50 kills came after their
    // run had ended).
    let first = run(&fx).output().unwrap();
    assert!(
        matches!(first.status.code(), Some(0 | 1)),
        "{}",
        stderr(&first)
    );
    let mut shortest = u128::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let out = run(&fx).output().unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        shortest = shortest.min(started.elapsed().as_millis());
    }
    let span = (shortest as u64).max(50);
    let design = exemplar_mission::parse_file(&fx.path().join("mission.yaml"))
        .unwrap()
        .design;
    let seed = std::env::var("EXEMPLAR_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64);
    let mut rng = Rng(seed | 1);
    let (mut unchanged, mut rewritten, mut whole, mut temporaries) = (0u64, 0u64, 0u64, 0u64);
    for k in 0..kills {
        let before = fx.read("mission.yaml");
        let mut child = run(&fx).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.below(span + span / 2)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.code().is_some() {
            whole += 1;
        }
        let now = fx.read("mission.yaml");
        let parsed = exemplar_mission::parse_str(&fx.path().join("mission.yaml"), &now)
            .unwrap_or_else(|e| {
                panic!("kill {k} (seed {seed}): the mission file does not parse: {e}")
            });
        assert_eq!(
            parsed.design, design,
            "kill {k} (seed {seed}): the design changed"
        );
        if now == before {
            unchanged += 1;
        } else {
            rewritten += 1;
        }
        for entry in std::fs::read_dir(fx.path()).unwrap().filter_map(Result::ok) {
            if entry.file_name().to_string_lossy().starts_with(".mission.") {
                temporaries += 1;
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
        let verify = fx.exemplar(&["journal", "verify"]);
        assert_eq!(
            verify.status.code(),
            Some(0),
            "kill {k} (seed {seed}): {}",
            stderr(&verify)
        );
        if k % 10 == 9 {
            let next = run(&fx).output().unwrap();
            assert!(
                matches!(next.status.code(), Some(0 | 1)),
                "kill {k} (seed {seed}): the next run: {}",
                stderr(&next)
            );
        }
    }
    let next = run(&fx).output().unwrap();
    assert!(
        matches!(next.status.code(), Some(0 | 1)),
        "after the campaign: {}",
        stderr(&next)
    );
    eprintln!(
        "{kills} kills (seed {seed}, over {span} ms runs): mission file unchanged {unchanged}, rewritten whole {rewritten}; {whole} runs ended before the kill; {temporaries} temporary files left by killed runs"
    );
}
