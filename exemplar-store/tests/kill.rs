//! Durability under SIGKILL: a real writer process is killed at random points, 200 times, and
//! the journal is reopened each time. Every record acknowledged before the kill is present;
//! the journal opens; nothing after the torn point is invented.
//!
//! The writer is this test binary itself, re-run with `--exact child_writer --ignored`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use exemplar_store::{Contention, JournalWriter, Record, WriterOptions};

const CHILD_ENV: &str = "EXEMPLAR_KILL_CHILD_DIR";

fn outcomes(dir: &std::path::Path) -> Vec<String> {
    all_records(dir)
        .into_iter()
        .filter_map(|(_, r)| match r {
            Record::Outcome(o) => Some(o.reference),
            _ => None,
        })
        .collect()
}

/// The writer child: appends batches, and after each batch is durable prints `acked N`.
#[test]
#[ignore = "run by sigkill_at_random_points_loses_nothing_acknowledged"]
fn child_writer() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let opts = WriterOptions {
        batch_max_records: 16,
        batch_max_wait: Duration::from_micros(200),
        segment_size: 8 * 1024,
        sync: true,
        sync_interval: Duration::from_millis(10),
    };
    let mut w = JournalWriter::open(&dir, Contention::Wait, opts, &mut |_| {}).unwrap();
    let mut next = outcomes(&dir).len() as u64;
    let mut rng = Rng(next * 7919 + 17);
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready {next}").unwrap();
    out.flush().unwrap();
    loop {
        let batch = 1 + rng.below(12);
        for _ in 0..batch {
            w.append(&outcome("run", &format!("t{next}"), 0)).unwrap();
            next += 1;
        }
        w.flush().unwrap();
        writeln!(out, "acked {}", next - 1).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_at_random_points_loses_nothing_acknowledged() {
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(seed());
    let mut dir = tempfile::tempdir().unwrap();
    let mut truncations = 0;
    for round in 0..200 {
        if round % 25 == 0 {
            dir = tempfile::tempdir().unwrap();
        }
        let before = outcomes(dir.path()).len() as u64;
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "child_writer",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the child to be writing, then kill it at a random moment. (libtest prints
        // "test child_writer ... " before the test's first line, so look inside lines.)
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut early_acks = Vec::new();
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "the child did not start"
            );
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("child did not start");
            if line.contains("ready ") {
                break;
            }
            early_acks.push(line);
        }
        std::thread::sleep(Duration::from_micros(rng.below(12_000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let acked: Option<u64> = early_acks
            .into_iter()
            .chain(rx.try_iter())
            .filter_map(|l| {
                l.split_once("acked ")
                    .and_then(|(_, n)| n.trim().parse().ok())
            })
            .max();

        // Reopen: recovery must succeed (truncating at most a torn tail).
        let w = JournalWriter::open(dir.path(), Contention::Fail, opts(), &mut |_| {}).unwrap();
        if w.recovery.truncated.is_some() {
            truncations += 1;
        }
        w.close().unwrap();
        let got = outcomes(dir.path());
        // Nothing invented: exactly t0, t1, ... in order.
        for (i, r) in got.iter().enumerate() {
            assert_eq!(r, &format!("t{i}"), "round {round}: record {i} is {r}");
        }
        if let Some(a) = acked {
            assert!(
                got.len() as u64 > a,
                "round {round}: acknowledged t{a} but only {} records survived",
                got.len()
            );
        }
        assert!(
            got.len() as u64 >= before,
            "round {round}: records from earlier rounds lost"
        );
        exemplar_store::verify(dir.path()).unwrap();
    }
    eprintln!("200 kills; {truncations} torn tails truncated");
}
