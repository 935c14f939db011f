//! Report benchmark (`cargo run --release -p exemplar-bench --bin report`; it builds the
//! release `cargo-exemplar` first): generation time and file sizes of every report
//! format for a journal of 1,000 runs × 200 directives × 2,000 tests; and the overhead of
//! `check` over `run` on the bundled missions.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use exemplar_bench::{release_cli, repo, time};
use exemplar_store::records::{
    MissionLoss, MissionStamp, NodeLoss, NodeStamp, RunEnd, RunStart, TestDef, TestResult,
};
use exemplar_store::{Contention, JournalWriter, Record, WriterOptions};

const RUNS: usize = 1000;
const NODES: usize = 200;
const TESTS: usize = 2000;

fn main() {
    let repo = repo();
    let cx = release_cli();
    let dir = tempfile::Builder::new()
        .prefix("exemplar-bench-report-")
        .tempdir_in(&repo)
        .unwrap();
    let pkg = dir.path();
    big_project(pkg);
    big_journal(pkg);
    reports(&cx, pkg);
    if std::env::var_os("EXEMPLAR_BENCH_KEEP").is_some() {
        println!("kept {}", dir.keep().display());
        return;
    }
    check_over_run(&cx, &repo);
}

/// A package whose mission has NODES directives.
fn big_project(pkg: &Path) {
    std::fs::create_dir_all(pkg.join("src")).unwrap();
    std::fs::write(pkg.join("src/lib.rs"), "").unwrap();
    std::fs::write(
        pkg.join("Cargo.toml"),
        "[package]\nname = \"big\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .unwrap();
    let mut mission = String::from("id: big\nname: Big\ndesign:\n  - id: S0\n    name: Root\n");
    for i in 1..NODES {
        let _ = write!(
            mission,
            "  - id: S{i}\n    name: Directive {i}\n    aspect_id: S{}\n    detail: {{ invariant: \"property {i} holds\" }}\n",
            (i - 1) / 10
        );
    }
    std::fs::write(pkg.join("mission.yaml"), mission).unwrap();
}

/// Its journal: RUNS runs of TESTS tests each.
fn big_journal(pkg: &Path) {
    let journal = pkg.join(".exemplar");
    let mut w = JournalWriter::open(
        &journal,
        Contention::Fail,
        WriterOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let msg = w
        .put_blob(b"assertion failed: the invariant does not hold")
        .unwrap();
    let tests: Vec<TestDef> = (0..TESTS)
        .map(|t| {
            let reference = format!("tests/big.rs::module_{}::test_{t}", t % 40);
            let ids = [format!("S{}", 1 + t % (NODES - 1))];
            TestDef::new("big", &reference, "big", t as u32, &ids)
        })
        .collect();
    let (_, d) = time(|| {
        for r in 0..RUNS {
            let run = format!("run-{r:05}");
            w.append(&Record::RunStart(RunStart {
                scope: None,
                run_id: run.clone(),
                started_at: 1_800_000_000 + r as i64 * 600,
                commit: Some(format!("{:07x}", r / 3)),
                note: None,
                missions: vec![MissionStamp {
                    mission: "big".into(),
                    package: "big".into(),
                    nodes: (0..NODES)
                        .map(|i| NodeStamp {
                            id: format!("S{i}"),
                            fingerprint: format!("{:016x}", (i as u64) * 7 + (r as u64 / 250)),
                        })
                        .collect(),
                    design: None,
                }],
            }))
            .unwrap();
            for (t, test) in tests.iter().enumerate() {
                let failing = (t + r) % 97 == 0;
                let result = TestResult {
                    test: test.id,
                    outcome: u8::from(failing),
                    duration: 0.001,
                    message: failing.then(|| msg.into()),
                    output: None,
                };
                w.append_result(&result, || test.clone()).unwrap();
            }
            w.append(&Record::RunEnd(RunEnd {
                run_id: run,
                ended_at: 1_800_000_000 + r as i64 * 600 + 60,
                counts: vec![(TESTS - TESTS / 97) as u64, (TESTS / 97) as u64, 0, 0, 0],
                losses: vec![MissionLoss {
                    mission: "big".into(),
                    loss: 0.05,
                    nodes: (1..NODES)
                        .map(|i| NodeLoss {
                            id: format!("S{i}"),
                            loss: ((i + r) % 13) as f64 / 26.0,
                        })
                        .collect(),
                }],
                other_shards: Vec::new(),
            }))
            .unwrap();
        }
        w.close().unwrap();
    });
    println!(
        "journal of {RUNS} runs × {NODES} directives × {TESTS} tests written and indexed in {:.1}s",
        d.as_secs_f64()
    );
}

/// Every report format, timed, with its size; and `status`.
fn reports(cx: &Path, pkg: &Path) {
    let out = pkg.join("out");
    let timed = |args: &[&str]| -> Duration {
        let t0 = Instant::now();
        let st = Command::new(cx)
            .arg("exemplar")
            .args(args)
            .arg("--manifest-path")
            .arg(pkg.join("Cargo.toml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "{args:?}");
        t0.elapsed()
    };
    for (flag, file) in [
        ("--html", "index.html"),
        ("--junit", "junit.xml"),
        ("--json", "report.json"),
        ("--markdown", "summary.md"),
    ] {
        let path = out.join(file);
        let d = timed(&["report", flag, path.to_str().unwrap()]);
        println!(
            "report {flag:<10} {:>7.3}s  {:>9.1} KiB",
            d.as_secs_f64(),
            std::fs::metadata(&path).unwrap().len() as f64 / 1024.0
        );
    }
    let mut status: Vec<Duration> = (0..5).map(|_| timed(&["status"])).collect();
    status.sort();
    println!(
        "status            {:>7.3}s (median of 5)",
        status[2].as_secs_f64()
    );
}

/// check over run, on the bundled missions (builds up to date; median of 5).
fn check_over_run(cx: &Path, repo: &Path) {
    let median = |args: &[&str]| -> Duration {
        let mut v: Vec<Duration> = (0..5)
            .map(|_| {
                let t0 = Instant::now();
                let st = Command::new(cx)
                    .arg("exemplar")
                    .args(args)
                    .current_dir(repo)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap();
                assert!(st.success(), "{args:?}");
                t0.elapsed()
            })
            .collect();
        v.sort();
        v[2]
    };
    let run = median(&["run", "--no-rewrite"]);
    let check = median(&["check"]);
    println!(
        "bundled missions: run {:.2}s, check {:.2}s (overhead {:+.0} ms)",
        run.as_secs_f64(),
        check.as_secs_f64(),
        (check.as_secs_f64() - run.as_secs_f64()) * 1000.0
    );
}
