//! Journal benchmarks (`cargo run --release -p exemplar-bench --bin journal [-- --records N]`):
//! append throughput with group commit (the default: an fsync at most every 10 ms while
//! records stream in; and an fsync after every batch), fsync per record, and no fsync (the
//! ceiling); open and
//! recovery scan of a large journal; index rebuild; `history S1` over 10,000 runs; bytes per
//! outcome, in the log and in the index. `--sizes D [--runs R]`: only the sizes of the log and
//! of each table of the index, after R (default 40) runs of 10,000 tests over D directives.
//!
//! The workload ("steady state"): runs of the same 2,000 tests (two design ids each, every
//! tenth failing with the same message), written as the runner writes them: a run start, one
//! compact result per test (each test defined once, in the first run), the run's end. The
//! no-fsync ceiling is the same workload with `sync: false`.

use std::path::Path;
use std::time::Duration;

use exemplar_bench::{rate, result, run_end, run_start, time};
use exemplar_store::{Contention, JournalWriter, WriterOptions, open_index, wal};

fn dir_bytes(dir: &Path) -> u64 {
    wal::segments(&dir.join("wal"))
        .unwrap()
        .iter()
        .map(|(_, p)| std::fs::metadata(p).unwrap().len())
        .sum()
}

/// The index file's length, and what it takes on the disk: redb grows the file by doubling
/// its length, and the pages not yet written are holes (as `du` counts).
fn index_bytes(dir: &Path) -> (u64, u64) {
    let meta = std::fs::metadata(dir.join("index.redb")).unwrap();
    (
        meta.len(),
        std::os::unix::fs::MetadataExt::blocks(&meta) * 512,
    )
}

fn fill(dir: &Path, n: usize, opts: WriterOptions) -> Duration {
    let mut w = JournalWriter::open(dir, Contention::Fail, opts, &mut |_| {}).unwrap();
    let (_, d) = time(|| {
        let message = w.put_blob(b"assertion failed").unwrap();
        for (run, first) in (0..n).step_by(2000).enumerate() {
            let id = format!("bench-{run}");
            w.append(&run_start(&id, run as i64, 20)).unwrap();
            for i in first..(first + 2000).min(n) {
                let (def, r) = result(i, message);
                w.append_result(&r, || def.clone()).unwrap();
            }
            w.append(&run_end(&id, run as i64, 20)).unwrap();
        }
        w.flush().unwrap();
    });
    w.close().unwrap();
    d
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--records")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let base = tempfile::Builder::new()
        .prefix("exemplar-bench-")
        .tempdir_in(std::env::current_dir().unwrap())
        .unwrap();
    println!(
        "journal benchmarks, {n} outcome records (temporary journals under {})",
        base.path().display()
    );

    if let Some(directives) = exemplar_bench::flag_value(&args, "--sizes") {
        let runs = exemplar_bench::flag_value(&args, "--runs").unwrap_or(40);
        sizes(base.path(), directives, runs);
        return;
    }
    let group = base.path().join("group");
    appends(base.path(), &group, n);
    recovery(&group, n);
    queries(base.path());
}

/// Append throughput: group commit, no fsync (the ceiling), fsync per record.
fn appends(base: &Path, group: &Path, n: usize) {
    let d = fill(group, n, WriterOptions::default());
    let bytes = dir_bytes(group);
    println!(
        "append, group commit (fsync <= 10 ms):{}",
        rate(n as u64 + 1, bytes, d)
    );
    println!(
        "on-disk bytes per outcome (log):      {:.1}",
        bytes as f64 / n as f64
    );
    drop(open_index(group).unwrap());
    let (len, index) = index_bytes(group);
    println!(
        "on-disk bytes per outcome (index):    {:.1}  (index/log {:.2}; the file is {:.2}x the log long, its unwritten pages holes)",
        index as f64 / n as f64,
        index as f64 / bytes as f64,
        len as f64 / bytes as f64
    );

    let every = base.join("every-batch");
    let d = fill(
        &every,
        n,
        WriterOptions {
            sync_interval: Duration::ZERO,
            ..WriterOptions::default()
        },
    );
    println!(
        "append, group commit, fsync per batch: {}",
        rate(n as u64 + 1, dir_bytes(&every), d)
    );

    let nosync = base.join("nosync");
    let d = fill(
        &nosync,
        n,
        WriterOptions {
            sync: false,
            ..WriterOptions::default()
        },
    );
    println!(
        "append, no fsync (ceiling):           {}",
        rate(n as u64 + 1, dir_bytes(&nosync), d)
    );

    let per = base.join("per-record");
    let m = (n / 100).clamp(1000, 20_000);
    let mut w = JournalWriter::open(
        &per,
        Contention::Fail,
        WriterOptions {
            batch_max_records: 1,
            batch_max_wait: Duration::ZERO,
            ..WriterOptions::default()
        },
        &mut |_| {},
    )
    .unwrap();
    w.append(&run_start("bench", 0, 20)).unwrap();
    let (_, d) = time(|| {
        for i in 0..m {
            let (def, r) = result(i, [0; 32]);
            let seq = w.append_result(&r, || def.clone()).unwrap();
            w.wait(seq).unwrap();
        }
    });
    drop(w);
    println!(
        "append, fsync per record:             {}",
        rate(m as u64, dir_bytes(&per), d)
    );
}

/// Open and recovery of a journal with a torn tail, the recovery scan, verify, index rebuild.
fn recovery(group: &Path, n: usize) {
    // Open + recovery scan: the index is up to date, and the log ends in a torn write (half a
    // frame), as after a crash during a batch write.
    drop(open_index(group).unwrap());
    let segs = wal::segments(&group.join("wal")).unwrap();
    let last = &segs.last().unwrap().1;
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(last).unwrap();
        f.write_all(&[0x60, 0, 0, 0, 2, 0, 0, 0, 0x42, 0x42])
            .unwrap();
    }
    let (w, d) = time(|| {
        JournalWriter::open(
            group,
            Contention::Fail,
            WriterOptions::default(),
            &mut |_| {},
        )
        .unwrap()
    });
    println!(
        "open + recovery of the {n}-record journal (torn tail truncated: {}): {:.3}s (index caught up on open)",
        w.recovery.truncated.is_some(),
        d.as_secs_f64()
    );
    drop(w);
    let (rec, d) = time(|| wal::recover(&group.join("wal")).unwrap());
    println!(
        "recovery scan alone (last segment): {:.3}s, next record {}",
        d.as_secs_f64(),
        rec.next_seq
    );
    let (r, d) = time(|| exemplar_store::verify(group).unwrap());
    println!(
        "full verify scan ({} records, {} segments): {:.3}s",
        r.records,
        r.segments,
        d.as_secs_f64()
    );
    let (ix, d) = time(|| exemplar_store::Index::rebuild(group).unwrap());
    println!(
        "index rebuild from {} records: {:.3}s",
        ix.applied_now,
        d.as_secs_f64()
    );
    drop(ix);
}

/// Queries over 10,000 runs: open the index, a directive's and a test's history, the runs.
fn queries(base: &Path) {
    // history over 10,000 runs of 20 tests and 20 directives.
    let runs = base.join("runs");
    let mut w = JournalWriter::open(
        &runs,
        Contention::Fail,
        WriterOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    for r in 0..10_000 {
        let id = format!("run-{r:05}");
        w.append(&run_start(&id, 1_700_000_000 + r, 20)).unwrap();
        for i in 0..20 {
            let (def, r) = result(i, [0; 32]);
            w.append_result(&r, || def.clone()).unwrap();
        }
        w.append(&run_end(&id, 1_700_000_000 + r, 20)).unwrap();
    }
    let (_, d) = time(|| w.close().unwrap());
    println!(
        "10,000 runs written; index built on close in {:.3}s",
        d.as_secs_f64()
    );
    let (ix, d) = time(|| open_index(&runs).unwrap());
    println!("open index (up to date): {:.4}s", d.as_secs_f64());
    let (h, d) = time(|| ix.loss_history("S1").unwrap());
    println!(
        "history S1 over 10,000 runs: {} points in {:.4}s",
        h.len(),
        d.as_secs_f64()
    );
    let (h, d) = time(|| ix.test_history("replays_the_log_after_crash_3").unwrap());
    println!(
        "history of one test over 10,000 runs: {} points in {:.4}s",
        h.len(),
        d.as_secs_f64()
    );
    let (rs, d) = time(|| ix.runs().unwrap());
    println!("list 10,000 runs: {} in {:.4}s", rs.len(), d.as_secs_f64());
}

/// The log's and the index's bytes (each table's) after `runs` runs of 10,000 tests over
/// `directives` directives, every test linked to one of them, every tenth failing.
fn sizes(base: &Path, directives: usize, runs: i64) {
    let dir = base.join("sizes");
    let mut w = JournalWriter::open(
        &dir,
        Contention::Fail,
        WriterOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let message = w.put_blob(b"assertion failed").unwrap();
    let defs: Vec<exemplar_store::records::TestDef> = (0..10_000)
        .map(|i| {
            exemplar_store::records::TestDef::new(
                "kv",
                &format!("tests/t{}.rs::case_{i}", i % 50),
                &format!("t{}", i % 50),
                (i % 700) as u32,
                &[format!("S{}", i % directives)],
            )
        })
        .collect();
    for run in 0..runs {
        let id = format!("20261202T12{run:04}Z-abcdef");
        w.append(&run_start(&id, run, directives)).unwrap();
        for (i, def) in defs.iter().enumerate() {
            let failing = (i + run as usize).is_multiple_of(10);
            let r = exemplar_store::records::TestResult {
                test: def.id,
                outcome: u8::from(failing),
                duration: 0.001 * (i % 97) as f64,
                message: failing.then(|| minicbor::bytes::ByteArray::from(message)),
                output: None,
            };
            w.append_result(&r, || def.clone()).unwrap();
        }
        w.append(&run_end(&id, run, directives)).unwrap();
    }
    w.close().unwrap();
    let index = open_index(&dir).unwrap();
    let log = dir_bytes(&dir);
    let (file, on_disk) = index_bytes(&dir);
    println!(
        "{runs} runs x 10,000 tests, {directives} directives: log {log} B, index file {file} B long, {on_disk} B on disk (index/log {:.2} long, {:.2} on disk)",
        file as f64 / log as f64,
        on_disk as f64 / log as f64
    );
    for t in index.table_sizes().unwrap() {
        println!("  {:<16} {:>12} B", t.name, t.bytes);
    }
}
