//! Adoption benchmarks (`cargo run --release -p exemplar-bench --bin adopt`), on a generated
//! crate whose tests keep the default harness, tagged `#[design(S1)]` above `#[test]`:
//!
//! - wall time of `cargo exemplar run` against `cargo test` on the same targets, build up to
//!   date, side by side: trivial tests, and tests that take about a millisecond;
//! - build time of 10,000 `#[design]` + `#[test]` functions against 10,000 `#[test]` alone
//!   (`EXEMPLAR_BENCH_BUILD_TESTS` sets another count);
//! - the build after a run rewrote the mission file (it should build nothing).
//!
//! Projects are generated under `target/bench-adopt/` with path dependencies on this checkout;
//! `cargo exemplar` is the release build of this checkout (built first if missing).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use exemplar_bench::{release_cli, repo, write};

fn target_dir() -> PathBuf {
    repo().join("target/bench-adopt/target")
}

/// A crate with `files` integration test files and unit tests in `src/`, `per_file` tests
/// each, every test's body `body`; tagged or not.
fn project(dir: &Path, files: usize, per_file: usize, body: &str, tagged: bool) {
    let exemplar = repo().join("exemplar");
    let name = dir.file_name().unwrap().to_string_lossy();
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dev-dependencies]\nexemplar-test = {{ path = {:?} }}\n",
            exemplar.display().to_string()
        ),
    );
    write(
        &dir.join("mission.yaml"),
        "id: bench\nname: Bench\ndesign:\n  - id: S0\n    name: Idea\n    aspect_id: null\n    detail: { type: tenet, content: it works }\n  - id: S1\n    name: Works\n    aspect_id: S0\n    detail: { invariant: it works }\n",
    );
    let tests = |indent: &str| {
        let mut s = String::new();
        for i in 0..per_file {
            if tagged {
                let _ = writeln!(s, "{indent}#[exemplar::design(S1)]");
            }
            let _ = writeln!(s, "{indent}#[test]\n{indent}fn t{i}() {{ {body} }}\n");
        }
        s
    };
    write(
        &dir.join("src/lib.rs"),
        &format!(
            "//! Benchmark crate.\n\n#[cfg(test)]\nmod tests {{\n{}}}\n",
            tests("    ")
        ),
    );
    for f in 1..files {
        write(&dir.join(format!("tests/t{f}.rs")), &tests(""));
    }
    std::fs::copy(repo().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

fn run(cmd: &mut Command) -> Duration {
    let t0 = Instant::now();
    let st = cmd
        .env("CARGO_TARGET_DIR", target_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "{cmd:?}");
    t0.elapsed()
}

fn cargo(dir: &Path, args: &[&str]) -> Duration {
    run(Command::new(env!("CARGO")).args(args).current_dir(dir))
}

fn exemplar(dir: &Path, args: &[&str]) -> Duration {
    let cx = repo().join("target/release/cargo-exemplar");
    run(Command::new(cx).arg("exemplar").args(args).current_dir(dir))
}

/// Median of `reps` runs.
fn median(reps: usize, mut f: impl FnMut() -> Duration) -> Duration {
    middle((0..reps).map(|_| f()).collect())
}

/// The median of some durations.
fn middle(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:8.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    release_cli();
    let root = repo().join("target/bench-adopt");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("default-harness binaries, {cores} cores, build up to date, median of 5 runs:");
    for (label, body) in [
        ("trivial", "std::hint::black_box(1);"),
        (
            "~1 ms",
            "std::thread::sleep(std::time::Duration::from_millis(1));",
        ),
    ] {
        let dir = root.join(if label == "trivial" {
            "trivial"
        } else {
            "onems"
        });
        let (files, per_file) = (4, 500);
        project(&dir, files, per_file, body, true);
        cargo(&dir, &["test", "--no-run"]);
        exemplar(&dir, &["run"]);
        let cargo_test = median(5, || cargo(&dir, &["test"]));
        let ours = median(5, || exemplar(&dir, &["run"]));
        println!(
            "  {label:>7} tests, {} in {files} binaries: cargo test {}   cargo exemplar run {}   ratio {:.2}",
            files * per_file,
            ms(cargo_test),
            ms(ours),
            ours.as_secs_f64() / cargo_test.as_secs_f64()
        );
    }
    build_time(&root);
}

/// Tagged against plain `#[test]`s (10,000 of each unless `EXEMPLAR_BENCH_BUILD_TESTS` says
/// otherwise): the unit-test target's build, and the build after a run rewrote the mission
/// file.
fn build_time(root: &Path) {
    let n = exemplar_bench::build_tests();
    let reps = 5;
    println!("\nbuild of {n} unit tests (dependencies built; median of {reps}, interleaved):");
    let tagged = root.join("tagged-build");
    let plain = root.join("plain-build");
    let body = "std::hint::black_box(1);";
    project(&tagged, 1, n, body, true);
    project(&plain, 1, n, body, false);
    cargo(&plain, &["test", "--no-run"]);
    cargo(&tagged, &["test", "--no-run"]);
    // A change to the library's file rebuilds its unit-test target.
    let rebuild = |dir: &Path, tagged_tests: bool| {
        project(dir, 1, n, body, tagged_tests);
        let lib = dir.join("src/lib.rs");
        let text = std::fs::read_to_string(&lib).unwrap();
        write(&lib, &format!("{text}\n// {:?}\n", Instant::now()));
        cargo(dir, &["test", "--no-run", "--lib"])
    };
    // Plain and tagged take turns, so a change of the machine's load hits both alike.
    let (mut plain_times, mut tagged_times) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        plain_times.push(rebuild(&plain, false));
        tagged_times.push(rebuild(&tagged, true));
    }
    let (p, d) = (middle(plain_times), middle(tagged_times));
    println!(
        "  {n} #[test]: {}   {n} #[design] + #[test]: {}   ratio {:.2}",
        ms(p),
        ms(d),
        d.as_secs_f64() / p.as_secs_f64()
    );
    exemplar(&tagged, &["run"]);
    let after = median(3, || {
        exemplar(&tagged, &["run"]);
        cargo(&tagged, &["test", "--no-run", "--lib"])
    });
    println!(
        "  build after a run rewrote mission.yaml: {} (nothing rebuilt)",
        ms(after)
    );
}
