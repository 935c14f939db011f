//! Scheduler benchmarks against the peers (`cargo run --release -p exemplar-bench --bin peers`),
//! side by side in one run, builds up to date, test time only:
//!
//! - 1,000 and 10,000 trivial tests over 1,000 directives (`#[exemplar::design(Sn)]` above
//!   `#[test]`, in the library and three integration test binaries): `cargo exemplar run` with
//!   the journal on, against `cargo test` and `cargo nextest run`;
//! - the bundled missions (kv, persist, hexmap) of this checkout, the same three ways.
//!
//! `--bundled` runs only the bundled missions; `--reps N` takes the median of N (default 3).
//!
//! Generated projects live under `target/bench-peers/`; `cargo exemplar` is the release build of
//! this checkout. `cargo nextest` must be installed (`cargo xtask test` installs it).

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use exemplar_bench::{release_cli, repo, write};

/// A crate of `tests` trivial tests in four binaries, over 1,000 directives.
fn project(dir: &Path, tests: usize) {
    let exemplar = repo().join("exemplar");
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"peers\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dev-dependencies]\nexemplar-test = {{ path = {:?} }}\n",
            exemplar.display().to_string()
        ),
    );
    let mut mission = String::from(
        "id: bench\nname: Bench\ndesign:\n  - id: S0\n    name: Idea\n    aspect_id: null\n    detail: { type: tenet, content: it works }\n",
    );
    for d in 1..=1000 {
        let _ = write!(
            mission,
            "  - id: S{d}\n    name: Directive {d}\n    aspect_id: S0\n    detail: {{ invariant: case {d} works }}\n"
        );
    }
    write(&dir.join("mission.yaml"), &mission);
    let per_file = tests / 4;
    let file = |first: usize, indent: &str| {
        let mut s = String::new();
        for i in first..first + per_file {
            let _ = writeln!(
                s,
                "{indent}#[exemplar::design(S{})]\n{indent}#[test]\n{indent}fn t{i}() {{ std::hint::black_box({i}); }}\n",
                i % 1000 + 1
            );
        }
        s
    };
    write(
        &dir.join("src/lib.rs"),
        &format!(
            "//! Benchmark crate.\n\n#[cfg(test)]\nmod tests {{\n{}}}\n",
            file(0, "    ")
        ),
    );
    for f in 1..4 {
        write(&dir.join(format!("tests/t{f}.rs")), &file(f * per_file, ""));
    }
    std::fs::copy(repo().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

fn timed(cmd: &mut Command, target: &Path) -> Duration {
    let t0 = Instant::now();
    let out = cmd
        .env("CARGO_TARGET_DIR", target)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    t0.elapsed()
}

/// Median of `reps` runs of each of the three, interleaved so that a change of the machine's
/// load hits all three alike.
fn side_by_side(dir: &Path, target: &Path, args: &[&str], reps: usize) -> [Duration; 3] {
    let cx = repo().join("target/release/cargo-exemplar");
    let cargo = env!("CARGO");
    let mut runs: [Vec<Duration>; 3] = Default::default();
    for _ in 0..reps {
        let mut test = Command::new(cargo);
        test.arg("test").args(args).current_dir(dir);
        runs[0].push(timed(&mut test, target));
        let mut nextest = Command::new(cargo);
        nextest.args(["nextest", "run"]).args(args).current_dir(dir);
        runs[1].push(timed(&mut nextest, target));
        let mut ours = Command::new(&cx);
        ours.args(["exemplar", "run", "--no-rewrite", "-q"])
            .args(args)
            .current_dir(dir);
        runs[2].push(timed(&mut ours, target));
    }
    runs.map(|mut v| {
        v.sort();
        v[v.len() / 2]
    })
}

fn secs(d: Duration) -> String {
    format!("{:7.2} s", d.as_secs_f64())
}

fn report(label: &str, [test, nextest, ours]: [Duration; 3]) {
    println!(
        "  {label:<34} cargo test {}  nextest {}  exemplar {}  exemplar/nextest {:.2}  exemplar/cargo test {:.2}",
        secs(test),
        secs(nextest),
        secs(ours),
        ours.as_secs_f64() / nextest.as_secs_f64(),
        ours.as_secs_f64() / test.as_secs_f64(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `--bundled`: only the bundled missions; `--reps N`: the median of N (default 3).
    let bundled_only = args.iter().any(|a| a == "--bundled");
    let reps = exemplar_bench::flag_value(&args, "--reps").unwrap_or(3);
    release_cli();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let root = repo().join("target/bench-peers");
    let target = root.join("target");
    println!("{cores} cores, builds up to date, median of {reps} (interleaved), wall time:");
    let suites: &[usize] = if bundled_only { &[] } else { &[1_000, 10_000] };
    for &tests in suites {
        let dir = root.join(format!("t{tests}"));
        project(&dir, tests);
        let build = Command::new(env!("CARGO"))
            .args(["test", "--no-run", "-q"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .unwrap();
        assert!(build.success());
        // The first run builds what `cargo exemplar` adds and starts the journal.
        side_by_side(&dir, &target, &[], 1);
        let label = format!("{tests} trivial tests, 1,000 directives");
        report(&label, side_by_side(&dir, &target, &[], reps));
    }
    let missions = ["-p", "kv", "-p", "persist", "-p", "hexmap"];
    let target = repo().join("target");
    side_by_side(&repo(), &target, &missions, 1);
    report(
        "the bundled missions",
        side_by_side(&repo(), &target, &missions, reps),
    );
}
