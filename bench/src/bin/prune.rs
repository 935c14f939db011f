//! Prune benchmark (`cargo run --release -p exemplar-bench --bin prune`; it builds the release
//! `cargo-exemplar` first): a journal of 200 runs of the same 5,000 tests (every tenth failing
//! with one of 50 messages, a message of its own in every run), pruned to the latest 20 runs by
//! `cargo exemplar journal prune`, with the log's size before and after.

use std::process::Command;

use exemplar_bench::{release_cli, repo, run_start, test_def, time};
use exemplar_store::records::{MissionLoss, RunEnd, TestResult};
use exemplar_store::{Contention, JournalWriter, Record, WriterOptions};
use minicbor::bytes::ByteArray;

const RUNS: usize = 200;
const TESTS: usize = 5_000;

fn main() {
    let repo = repo();
    let cx = release_cli();
    let dir = tempfile::Builder::new()
        .prefix("exemplar-bench-prune-")
        .tempdir_in(repo.join("target"))
        .unwrap();
    let journal = dir.path().join("journal");
    let (_, wrote) = time(|| write(&journal));
    let bytes = |j: &std::path::Path| -> u64 {
        std::fs::read_dir(j.join("wal"))
            .unwrap()
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum()
    };
    let before = bytes(&journal);
    let (out, d) = time(|| {
        Command::new(&cx)
            .args([
                "exemplar",
                "journal",
                "prune",
                "--keep-runs",
                "20",
                "--journal",
            ])
            .arg(&journal)
            .output()
            .unwrap()
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "journal of {RUNS} runs × {TESTS} results written in {:.2}s ({:.1} MB); prune to the latest 20: {:.2}s, the log {:.1} MB after",
        wrote.as_secs_f64(),
        before as f64 / 1e6,
        d.as_secs_f64(),
        bytes(&journal) as f64 / 1e6
    );
}

fn write(journal: &std::path::Path) {
    let mut w = JournalWriter::open(
        journal,
        Contention::Fail,
        WriterOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    for r in 0..RUNS {
        let run = format!("run-{r:04}");
        w.append(&run_start(&run, 1_000 + r as i64, 20)).unwrap();
        let own = w
            .put_blob(format!("run {r} failed its own way").as_bytes())
            .unwrap();
        for i in 0..TESTS {
            let def = test_def(i);
            let message = i.is_multiple_of(10).then(|| {
                let text = format!("assertion {} failed", i % 50);
                ByteArray::from(if i == 0 {
                    own
                } else {
                    w.put_blob(text.as_bytes()).unwrap()
                })
            });
            let result = TestResult {
                test: def.id,
                outcome: u8::from(message.is_some()),
                duration: 0.001,
                message,
                output: None,
            };
            w.append_result(&result, || def.clone()).unwrap();
        }
        let end = RunEnd {
            run_id: run,
            ended_at: 1_000 + r as i64,
            counts: vec![TESTS as u64, 0, 0, 0, 0],
            losses: vec![MissionLoss {
                mission: "kv".into(),
                loss: 0.1,
                nodes: Vec::new(),
            }],
            other_shards: Vec::new(),
        };
        w.append(&Record::RunEnd(end)).unwrap();
    }
    w.flush().unwrap();
    w.close().unwrap();
}
