//! Shared helpers of the benchmark binaries: timing and realistic records.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use exemplar_store::Record;
use exemplar_store::records::{
    MissionLoss, MissionStamp, NodeLoss, NodeStamp, Outcome, RunEnd, RunStart, TestDef, TestResult,
};
use minicbor::bytes::ByteArray;

/// The root of this checkout (generated projects depend on its crates by path).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench crate lives in the workspace")
        .to_owned()
}

/// The release build of this checkout's `cargo-exemplar`, built first (cargo does nothing
/// when it is up to date).
pub fn release_cli() -> PathBuf {
    let st = std::process::Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "cargo-exemplar"])
        .current_dir(repo())
        .status()
        .unwrap();
    assert!(st.success(), "cargo build --release -p cargo-exemplar");
    repo().join("target/release/cargo-exemplar")
}

/// How many tests the build-time benchmarks tag: `EXEMPLAR_BENCH_BUILD_TESTS`, else 10,000.
pub fn build_tests() -> usize {
    std::env::var("EXEMPLAR_BENCH_BUILD_TESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// The value after `--name` on the command line, parsed; `None` when absent or unparsable.
pub fn flag_value<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

/// Write `text` to `path`, creating its folder.
pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a file in a folder")).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Time a closure.
pub fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t0 = Instant::now();
    let v = f();
    (v, t0.elapsed())
}

/// A run-start record with `nodes` directives.
pub fn run_start(run: &str, at: i64, nodes: usize) -> Record {
    Record::RunStart(RunStart {
        scope: None,
        run_id: run.to_owned(),
        started_at: at,
        commit: Some("1a2b3c4".into()),
        note: None,
        missions: vec![MissionStamp {
            mission: "kv".into(),
            package: "kv".into(),
            nodes: (0..nodes)
                .map(|i| NodeStamp {
                    id: format!("S{i}"),
                    fingerprint: blake3::hash(format!("S{i}").as_bytes())
                        .to_hex()
                        .to_string(),
                })
                .collect(),
            design: None,
        }],
    })
}

/// A realistic outcome record: a test ref, two ids, and every tenth one failing with a message.
pub fn outcome(run: &str, i: usize) -> Record {
    let failing = i.is_multiple_of(10);
    Record::Outcome(Outcome {
        run_id: run.to_owned(),
        mission: "kv".into(),
        reference: format!(
            "tests/kv.rs::recovery::replays_the_log_after_crash_{}",
            i % 2000
        ),
        ids: vec![format!("S{}", i % 20), "S0".into()],
        outcome: if failing { 1 } else { 0 },
        duration: 0.001 * (i % 97) as f64,
        message: failing.then(|| ByteArray::from(*blake3::hash(b"assertion failed").as_bytes())),
        output: None,
        binary: "kv".into(),
        line: (i % 500) as u32,
    })
}

/// The test of outcome `i`: one of 2,000, as [`outcome`] names them.
pub fn test_def(i: usize) -> TestDef {
    TestDef::new(
        "kv",
        &format!(
            "tests/kv.rs::recovery::replays_the_log_after_crash_{}",
            i % 2000
        ),
        "kv",
        (i % 500) as u32,
        &[format!("S{}", i % 20), "S0".into()],
    )
}

/// Outcome `i` in the compact form the runner writes: its test, and its result (every tenth
/// failing with a message, whose blob is `message`).
pub fn result(i: usize, message: [u8; 32]) -> (TestDef, TestResult) {
    let def = test_def(i);
    let failing = i.is_multiple_of(10);
    let r = TestResult {
        test: def.id,
        outcome: if failing { 1 } else { 0 },
        duration: 0.001 * (i % 97) as f64,
        message: failing.then(|| ByteArray::from(message)),
        output: None,
    };
    (def, r)
}

/// A run-end record with a loss for each of `nodes` directives.
pub fn run_end(run: &str, at: i64, nodes: usize) -> Record {
    Record::RunEnd(RunEnd {
        run_id: run.to_owned(),
        ended_at: at,
        counts: vec![18, 2, 0, 0, 0],
        losses: vec![MissionLoss {
            mission: "kv".into(),
            loss: 0.1,
            nodes: (0..nodes)
                .map(|i| NodeLoss {
                    id: format!("S{i}"),
                    loss: (i % 3) as f64 / 3.0,
                })
                .collect(),
        }],
        other_shards: Vec::new(),
    })
}

/// Records per second and MB per second.
pub fn rate(n: u64, bytes: u64, d: Duration) -> String {
    let s = d.as_secs_f64();
    format!(
        "{:>10.0} records/s  {:>7.1} MB/s  ({n} records in {s:.2}s)",
        n as f64 / s,
        bytes as f64 / s / 1e6
    )
}
