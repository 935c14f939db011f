//! Spine benchmarks (`cargo run --release -p exemplar-bench --bin spine`):
//!
//! - harness overhead: 10,000 trivial `#[design]` tests through `exemplar::main!()` against the
//!   same bodies as plain libtest-mimic trials, in-process, with and without the event stream;
//! - `cargo exemplar run` wall time against running the built test binary directly;
//! - extra build time of 10,000 `#[design]` tests against 10,000 `#[test]` functions
//!   (`EXEMPLAR_BENCH_BUILD_TESTS` sets another count).
//!
//! Projects are generated under `target/bench-spine/` with path dependencies on this checkout.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use exemplar_bench::{repo, write};

fn project(dir: &Path, name: &str, test_file: &str, harness: bool, mimic: bool) {
    let exemplar = repo().join("exemplar");
    let mut toml = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dev-dependencies]\nexemplar-test = {{ path = {:?} }}\n",
        exemplar.display().to_string()
    );
    if mimic {
        toml.push_str("libtest-mimic = \"0.8\"\n");
    }
    let _ = write!(toml, "\n[[test]]\nname = \"many\"\nharness = {harness}\n");
    write(&dir.join("Cargo.toml"), &toml);
    write(&dir.join("src/lib.rs"), "//! Benchmark crate.\n");
    write(
        &dir.join("mission.yaml"),
        "id: bench\nname: Bench\ndesign:\n  - id: S0\n    name: Idea\n  - id: S1\n    name: Trivial\n    aspect_id: S0\n    detail: { invariant: nothing }\n",
    );
    write(&dir.join("tests/many.rs"), test_file);
    std::fs::copy(repo().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

fn tagged(n: usize) -> String {
    let mut s = String::from("use exemplar::design;\n\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "#[design(S1)]\nfn t{i}() {{ std::hint::black_box({i}); }}\n"
        );
    }
    s.push_str("exemplar::main!();\n");
    s
}

fn plain(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let _ = writeln!(s, "#[test]\nfn t{i}() {{ std::hint::black_box({i}); }}\n");
    }
    s
}

fn mimic(n: usize) -> String {
    let mut s = String::from("use libtest_mimic::{Arguments, Trial};\n\n");
    for i in 0..n {
        let _ = writeln!(s, "fn t{i}() {{ std::hint::black_box({i}); }}");
    }
    s.push_str("\nfn main() {\n    let fns: Vec<(&str, fn())> = vec![\n");
    for i in 0..n {
        let _ = writeln!(s, "        (\"t{i}\", t{i}),");
    }
    s.push_str("    ];\n    let trials = fns.into_iter().map(|(n, f)| Trial::test(n, move || { f(); Ok(()) })).collect();\n    libtest_mimic::run(&Arguments::from_args(), trials).exit();\n}\n");
    s
}

fn target_dir() -> PathBuf {
    repo().join("target/bench-spine/target")
}

fn cargo(dir: &Path, args: &[&str]) -> Duration {
    let t0 = Instant::now();
    let st = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "cargo {args:?} in {}", dir.display());
    t0.elapsed()
}

fn exe(dir: &Path) -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args([
            "test",
            "--no-run",
            "--test",
            "many",
            "--message-format=json",
        ])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if line.contains("\"executable\":\"") && line.contains("\"name\":\"many\"") {
            let start = line.find("\"executable\":\"").unwrap() + 14;
            let end = line[start..].find('"').unwrap();
            return PathBuf::from(&line[start..start + end]);
        }
    }
    panic!("no executable in {}", dir.display());
}

/// Median of `reps` runs of a command.
fn median(reps: usize, mut run: impl FnMut() -> Duration) -> Duration {
    let mut v: Vec<Duration> = (0..reps).map(|_| run()).collect();
    v.sort();
    v[reps / 2]
}

fn run_bin(exe: &Path, args: &[&str], events: Option<&Path>) -> Duration {
    let mut cmd = Command::new(exe);
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    if let Some(e) = events {
        let _ = std::fs::remove_file(e);
        cmd.env("EXEMPLAR_EVENTS", e);
    }
    let t0 = Instant::now();
    let st = cmd.status().unwrap();
    assert!(st.success());
    t0.elapsed()
}

fn ms(d: Duration) -> String {
    format!("{:8.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let root = repo().join("target/bench-spine");
    let n = 10_000;
    let t_dir = root.join("tagged");
    let m_dir = root.join("mimic");
    project(&t_dir, "tagged", &tagged(n), false, false);
    project(&m_dir, "mimic", &mimic(n), false, true);
    println!("building the {n}-test projects (dev profile, as tests are run)...");
    cargo(&t_dir, &["test", "--no-run"]);
    cargo(&m_dir, &["test", "--no-run"]);
    let (t_exe, m_exe) = (exe(&t_dir), exe(&m_dir));
    harness_overhead(&root, n, &t_exe, &m_exe);
    runner_overhead(&root, n, &t_dir, &t_exe);
    build_time(&root);
}

/// The harness against libtest-mimic over the same bodies, with and without events.
fn harness_overhead(root: &Path, n: usize, t_exe: &Path, m_exe: &Path) {
    let events = root.join("events.jsonl");
    let reps = 7;
    println!(
        "\nharness overhead, {n} trivial tests, median of {reps} runs (process start to exit):"
    );
    for threads in ["1", "2"] {
        let args = ["--test-threads", threads];
        let m = median(reps, || run_bin(m_exe, &args, None));
        let t = median(reps, || run_bin(t_exe, &args, None));
        let e = median(reps, || run_bin(t_exe, &args, Some(&events)));
        println!(
            "  --test-threads {threads}: libtest-mimic {}  exemplar::main!() {}  (+{:.1} µs/test)  with events {}  (+{:.1} µs/test)",
            ms(m),
            ms(t),
            (t.as_secs_f64() - m.as_secs_f64()) * 1e6 / n as f64,
            ms(e),
            (e.as_secs_f64() - m.as_secs_f64()) * 1e6 / n as f64,
        );
    }
}

/// `cargo exemplar run` against running the built binary directly.
fn runner_overhead(root: &Path, n: usize, t_dir: &Path, t_exe: &Path) {
    let cx = repo().join("target/release/cargo-exemplar");
    if cx.exists() {
        println!(
            "\ncargo exemplar run vs the built binary run directly ({n} tests, build up to date):"
        );
        let direct = median(5, || run_bin(t_exe, &[], None));
        let journal = root.join("journal");
        let exemplar_run = |extra: &[&str]| {
            let t0 = Instant::now();
            let st = Command::new(&cx)
                .args(["exemplar", "run", "--no-rewrite"])
                .args(extra)
                .current_dir(t_dir)
                .env("CARGO_TARGET_DIR", target_dir())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(st.success());
            t0.elapsed()
        };
        let full = median(5, || {
            exemplar_run(&["--journal", journal.to_str().unwrap()])
        });
        let nojournal = median(5, || exemplar_run(&["--no-journal"]));
        let build_check = median(5, || cargo(t_dir, &["test", "--no-run"]));
        println!("  binary directly:                  {}", ms(direct));
        println!("  cargo test --no-run (no-op):      {}", ms(build_check));
        println!("  cargo exemplar run --no-journal:  {}", ms(nojournal));
        println!("  cargo exemplar run (journal):     {}", ms(full));
    } else {
        println!(
            "\n(build cargo-exemplar in release to compare `cargo exemplar run`: cargo build --release -p cargo-exemplar)"
        );
    }
}

/// The extra build time of `#[design]` tests under `exemplar::main!()` over as many `#[test]`
/// functions.
fn build_time(root: &Path) {
    let k = exemplar_bench::build_tests();
    println!(
        "\nbuild time of {k} tests (dependencies already built; the test target alone, median of 3):"
    );
    let d_dir = root.join("tagged-build");
    let p_dir = root.join("plain-build");
    project(&d_dir, "tagged1k", &tagged(k), false, false);
    project(&p_dir, "plain1k", &plain(k), true, false);
    cargo(&d_dir, &["test", "--no-run"]);
    cargo(&p_dir, &["test", "--no-run"]);
    let rebuild = |dir: &Path, text: &str| {
        median(3, || {
            // A change to the test file rebuilds only the test target.
            write(
                &dir.join("tests/many.rs"),
                &format!("{text}\n// {:?}\n", Instant::now()),
            );
            cargo(dir, &["test", "--no-run", "--test", "many"])
        })
    };
    let d = rebuild(&d_dir, &tagged(k));
    let p = rebuild(&p_dir, &plain(k));
    println!(
        "  {k} #[test]: {}   {k} #[design]: {}   ratio {:.2}   extra: {} ({:.2} ms per test)",
        ms(p),
        ms(d),
        d.as_secs_f64() / p.as_secs_f64(),
        ms(d.saturating_sub(p)),
        (d.as_secs_f64() - p.as_secs_f64()) * 1000.0 / k as f64
    );
}
