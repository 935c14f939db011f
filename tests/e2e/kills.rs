//! The kill campaigns, run on demand: SIGKILL `cargo-exemplar` itself (not a cargo in front of
//! it) at random moments of a command, many times, and check after each kill what must hold.
//!
//! - `run`, over a project whose one test flips between passing and failing on every run, so
//!   every run that finishes rewrites the mission file: the mission file is the old one or a
//!   whole new one (it parses, with the same design), the journal verifies, the next run
//!   succeeds and sweeps the temporary files killed rewrites left.
//! - `journal import` of a bundle of 20 runs into a journal: the journal verifies, it holds
//!   only runs of the bundle, each whole or cut short (never another run), and the next import
//!   succeeds, naming the runs a kill cut short as incomplete.
//! - `journal prune --keep-runs 5` of a journal of 20 runs: the journal verifies and holds
//!   either all 20 runs or the latest 5, each whole; the next prune succeeds.
//! - a design patch (`design propose` / `activate`, in turn): the mission file is the old one
//!   or the patched one, the journal verifies, and the next patch succeeds and sweeps.
//!
//! `EXEMPLAR_KILLS=1000 cargo test -p cargo-exemplar --test e2e -- --ignored kills` (default
//! 1000 kills each; `EXEMPLAR_KILL_SEED` replays a campaign); each prints its counts.

use std::collections::{BTreeSet, HashSet};
use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Fixture, copy_tree, stderr, target_dir};

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

/// `cargo exemplar ARGS` in the fixture, quiet, for spawning and killing.
fn exemplar(fx: &Fixture, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-exemplar"));
    cmd.arg("exemplar")
        .args(args)
        .current_dir(fx.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn run(fx: &Fixture) -> Command {
    exemplar(fx, &["run", "-q", "--test", "flip"])
}

/// The basic fixture with the flipping test, built and run once.
fn flipping_fixture() -> Fixture {
    let fx = Fixture::new("basic");
    fx.write("tests/flip.rs", FLIPPING_TEST);
    let manifest = fx.read("Cargo.toml");
    fx.write(
        "Cargo.toml",
        &format!("{manifest}\n[[test]]\nname = \"flip\"\npath = \"tests/flip.rs\"\n"),
    );
    finished(&mut run(&fx), &[0, 1], "the first run");
    fx
}

/// Run `cmd` to its end; its exit code must be one of `ok`.
fn finished(cmd: &mut Command, ok: &[i32], what: &str) {
    let out = cmd.stdout(Stdio::piped()).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(ok.contains(&code), "{what}: exit {code}: {}", stderr(&out));
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

/// A campaign: how many kills, its seed, and the span its kills are spread over.
struct Campaign {
    kills: u64,
    seed: u64,
    rng: Rng,
    span: u64,
    /// Commands that ended before their kill.
    whole: u64,
}

impl Campaign {
    /// `EXEMPLAR_KILLS` (default 1000) and `EXEMPLAR_KILL_SEED`; kills spread over one and a
    /// half times the shortest of three whole runs of the command `sample` makes (after the
    /// first, which may build: a first campaign timed a building run, 25 s, and every kill
    /// came after its run had ended).
    fn new(mut sample: impl FnMut() -> Command) -> Campaign {
        let kills = std::env::var("EXEMPLAR_KILLS")
            .ok()
            .and_then(|k| k.parse().ok())
            .unwrap_or(1000);
        let seed = std::env::var("EXEMPLAR_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5eed_u64);
        let mut shortest = u128::MAX;
        for _ in 0..3 {
            // What makes the command (a fresh copy to prune, say) is not the command's time.
            let mut cmd = sample();
            let started = Instant::now();
            let _ = cmd.output().unwrap();
            shortest = shortest.min(started.elapsed().as_millis());
        }
        Campaign {
            kills,
            seed,
            rng: Rng(seed | 1),
            span: (shortest as u64).max(20),
            whole: 0,
        }
    }

    /// Spawn `cmd`, SIGKILL it at a random moment, reap it.
    fn kill(&mut self, mut cmd: Command) {
        let mut child = cmd.spawn().unwrap();
        let at = self.rng.below(self.span + self.span / 2);
        std::thread::sleep(Duration::from_millis(at));
        let _ = child.kill();
        if child.wait().unwrap().code().is_some() {
            self.whole += 1;
        }
    }
}

/// The journal under `dir` verifies (when there is one).
fn verifies(fx: &Fixture, journal: &Path, what: &str) {
    if journal.join("wal").is_dir() {
        let j = journal.to_str().unwrap();
        finished(
            &mut exemplar(fx, &["journal", "verify", "--journal", j]),
            &[0],
            what,
        );
    }
}

/// The run ids of a journal and whether each is whole, as `history` lists them.
fn runs(fx: &Fixture, journal: &Path) -> Vec<(String, bool)> {
    if !journal.join("wal").is_dir() {
        return Vec::new();
    }
    let j = journal.to_str().unwrap();
    let out = exemplar(fx, &["history", "--message-format", "json", "--journal", j])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.success(), "history: {}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["run_id"].as_str().unwrap().to_owned();
            (id, r["complete"] == true)
        })
        .collect()
}

/// The temporary files of mission rewrites beside the fixture's mission file.
fn temporaries(fx: &Fixture) -> Vec<OsString> {
    std::fs::read_dir(fx.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().starts_with(".mission."))
        .collect()
}

#[test]
#[ignore = "on demand: EXEMPLAR_KILLS=N (default 1000); minutes per hundred kills"]
fn kills_of_the_runner_leave_the_old_mission_or_the_new_and_a_journal_that_verifies() {
    let fx = flipping_fixture();
    let mut c = Campaign::new(|| run(&fx));
    let journal = fx.path().join(".exemplar");
    let path = fx.path().join("mission.yaml");
    let design = exemplar_mission::parse_file(&path).unwrap().design;
    let (seed, mut unchanged, mut rewritten) = (c.seed, 0u64, 0u64);
    let mut left: HashSet<OsString> = HashSet::new();
    for k in 0..c.kills {
        let before = fx.read("mission.yaml");
        c.kill(run(&fx));
        let now = fx.read("mission.yaml");
        let parsed = exemplar_mission::parse_str(&path, &now).unwrap_or_else(|e| {
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
        left.extend(temporaries(&fx));
        verifies(&fx, &journal, &format!("kill {k} (seed {seed})"));
        if k % 10 == 9 {
            finished(&mut run(&fx), &[0, 1], &format!("the run after kill {k}"));
            assert_eq!(temporaries(&fx), Vec::<OsString>::new(), "not swept");
        }
    }
    finished(&mut run(&fx), &[0, 1], "the run after the campaign");
    assert_eq!(temporaries(&fx), Vec::<OsString>::new(), "not swept");
    eprintln!(
        "run: {} kills (seed {seed}, over {} ms runs): mission file unchanged {unchanged}, rewritten whole {rewritten}; {} runs ended before the kill; {} temporary files left by killed runs, all swept by the next",
        c.kills,
        c.span,
        c.whole,
        left.len()
    );
}

#[test]
#[ignore = "on demand: EXEMPLAR_KILLS=N (default 1000); minutes per hundred kills"]
fn kills_of_journal_import_leave_whole_runs_or_runs_named_cut_short() {
    let fx = flipping_fixture();
    for _ in 0..19 {
        finished(&mut run(&fx), &[0, 1], "a run of the source journal");
    }
    let source = fx.path().join(".exemplar");
    let all: BTreeSet<String> = runs(&fx, &source).into_iter().map(|r| r.0).collect();
    assert_eq!(all.len(), 20);
    let bundle = fx.path().join("all.exbundle");
    let b = bundle.to_str().unwrap();
    finished(
        &mut exemplar(&fx, &["journal", "export", b]),
        &[0],
        "export",
    );
    let target = tempfile::tempdir().unwrap();
    let into = target.path().join("journal");
    let t = into.to_str().unwrap().to_owned();
    let import = || exemplar(&fx, &["journal", "import", b, "--journal", &t]);
    let fresh = || {
        let _ = std::fs::remove_dir_all(&into);
    };
    let mut c = Campaign::new(|| {
        fresh();
        import()
    });
    let seed = c.seed;
    let (mut none, mut some, mut every, mut cut_short) = (0u64, 0u64, 0u64, 0u64);
    for k in 0..c.kills {
        fresh();
        c.kill(import());
        let what = format!("kill {k} (seed {seed})");
        verifies(&fx, &into, &what);
        let here = runs(&fx, &into);
        assert!(here.iter().all(|r| all.contains(&r.0)), "{what}: {here:?}");
        let cut: Vec<_> = here.iter().filter(|r| !r.1).collect();
        assert!(
            cut.len() <= 1,
            "{what}: more than one run cut short: {here:?}"
        );
        cut_short += cut.len() as u64;
        match here.len() {
            0 => none += 1,
            20 if cut.is_empty() => every += 1,
            _ => some += 1,
        }
        if k % 10 == 9 {
            // The next import completes: every run is whole, but one a kill cut short, which
            // it names as incomplete.
            let mut cmd = import();
            cmd.args(["--message-format", "json"])
                .stdout(Stdio::piped());
            let out = cmd.output().unwrap();
            assert!(
                out.status.success(),
                "{what}: the next import: {}",
                stderr(&out)
            );
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let named: Vec<&str> = doc["incomplete"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            let after = runs(&fx, &into);
            assert_eq!(after.len(), 20, "{what}: {after:?}");
            for (id, whole) in &after {
                assert_eq!(*whole, !named.contains(&id.as_str()), "{what}: {id}");
            }
        }
    }
    eprintln!(
        "journal import: {} kills (seed {seed}, over {} ms imports of 20 runs): the journal held no run {none} times, some {some}, all 20 {every}; {cut_short} runs cut short (named incomplete by the next import); {} imports ended before the kill",
        c.kills, c.span, c.whole
    );
}

#[test]
#[ignore = "on demand: EXEMPLAR_KILLS=N (default 1000); minutes per hundred kills"]
fn kills_of_journal_prune_leave_every_run_or_the_kept_ones() {
    let fx = flipping_fixture();
    for _ in 0..19 {
        finished(&mut run(&fx), &[0, 1], "a run of the journal");
    }
    let source = fx.path().join(".exemplar");
    let all: Vec<(String, bool)> = runs(&fx, &source);
    assert_eq!(all.len(), 20);
    assert!(all.iter().all(|r| r.1));
    let kept: Vec<(String, bool)> = all[15..].to_vec();
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("journal");
    let w = copy.to_str().unwrap().to_owned();
    let fresh = || {
        let _ = std::fs::remove_dir_all(&copy);
        std::fs::create_dir_all(&copy).unwrap();
        copy_tree(&source, &copy);
    };
    let prune = || {
        exemplar(
            &fx,
            &["journal", "prune", "--keep-runs", "5", "--journal", &w],
        )
    };
    let mut c = Campaign::new(|| {
        fresh();
        prune()
    });
    let seed = c.seed;
    let (mut before, mut after) = (0u64, 0u64);
    for k in 0..c.kills {
        fresh();
        c.kill(prune());
        let what = format!("kill {k} (seed {seed})");
        verifies(&fx, &copy, &what);
        let here = runs(&fx, &copy);
        if here == all {
            before += 1;
        } else {
            assert_eq!(here, kept, "{what}: neither every run nor the kept ones");
            after += 1;
        }
        if k % 10 == 9 {
            finished(&mut prune(), &[0], &format!("the prune after {what}"));
            assert_eq!(runs(&fx, &copy), kept, "{what}");
            verifies(&fx, &copy, &what);
        }
    }
    eprintln!(
        "journal prune: {} kills (seed {seed}, over {} ms prunes of 20 runs to 5): every run kept {before} times, pruned {after}; {} prunes ended before the kill",
        c.kills, c.span, c.whole
    );
}

#[test]
#[ignore = "on demand: EXEMPLAR_KILLS=N (default 1000); minutes per hundred kills"]
fn kills_of_a_design_patch_leave_the_old_mission_or_the_patched_one() {
    use exemplar_formats::design::Status;
    use exemplar_formats::patch::DesignOp;
    let fx = flipping_fixture();
    let path = fx.path().join("mission.yaml");
    let journal = fx.path().join(".exemplar");
    // Propose S4 when it is active, activate it when it is proposed.
    let next = |text: &str| {
        let m = exemplar_mission::parse_str(&path, text).unwrap();
        let proposed = m.node("S4").unwrap().status == Status::Proposed;
        let (op, ops) = if proposed {
            ("activate", [DesignOp::Activate { id: "S4".into() }])
        } else {
            ("propose", [DesignOp::Propose { id: "S4".into() }])
        };
        let patched = exemplar_mission::patch::apply(&m, &ops, None, &[])
            .unwrap()
            .text;
        (op, patched)
    };
    let patch = |op: &str| exemplar(&fx, &["design", op, "S4"]);
    let mut c = Campaign::new(|| patch(next(&fx.read("mission.yaml")).0));
    let seed = c.seed;
    let (mut old, mut new) = (0u64, 0u64);
    let mut left: HashSet<OsString> = HashSet::new();
    for k in 0..c.kills {
        let before = fx.read("mission.yaml");
        let (op, patched) = next(&before);
        c.kill(patch(op));
        let what = format!("kill {k} (seed {seed})");
        let now = fx.read("mission.yaml");
        if now == before {
            old += 1;
        } else {
            assert_eq!(
                now, patched,
                "{what}: neither the old file nor the patched one"
            );
            new += 1;
        }
        left.extend(temporaries(&fx));
        verifies(&fx, &journal, &what);
        if k % 10 == 9 {
            let (op, _) = next(&now);
            finished(&mut patch(op), &[0], &format!("the patch after {what}"));
            assert_eq!(temporaries(&fx), Vec::<OsString>::new(), "not swept");
        }
    }
    eprintln!(
        "design patch: {} kills (seed {seed}, over {} ms patches): the old file kept {old} times, the patched one written {new} times; {} temporary files left by killed patches, all swept by the next; {} patches ended before the kill",
        c.kills,
        c.span,
        left.len(),
        c.whole
    );
}
