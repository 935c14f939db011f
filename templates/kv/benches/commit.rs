//! Commit benchmark (`cargo bench -p kv`): writes/s and ack latency p50/p99 for fsync per write
//! against batch commit, at 1, 4 and 16 concurrent writers; and the machine's raw fsync rate as
//! the physical reference.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kv::{BatchOptions, KvStore, Mode};

fn raw_fsync_rate() -> f64 {
    let dir = tempfile::tempdir_in(".").unwrap();
    let mut f = std::fs::File::create(dir.path().join("f")).unwrap();
    let n = 2000;
    let t0 = Instant::now();
    for _ in 0..n {
        f.write_all(&[0u8; 64]).unwrap();
        f.sync_data().unwrap();
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

fn run(mode: Mode, writers: usize, per: usize) -> (f64, Duration, Duration) {
    let dir = tempfile::tempdir_in(".").unwrap();
    let store = Arc::new(KvStore::open_with(dir.path(), mode).unwrap());
    let t0 = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let s = store.clone();
            std::thread::spawn(move || {
                (0..per)
                    .map(|i| {
                        let t = Instant::now();
                        s.write(
                            format!("w{w}-k{i}"),
                            "a value of realistic size, some 40 bytes",
                        )
                        .unwrap();
                        t.elapsed()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut lat: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let rate = (writers * per) as f64 / t0.elapsed().as_secs_f64();
    lat.sort();
    (rate, lat[lat.len() / 2], lat[lat.len() * 99 / 100])
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "raw fsync rate (64-byte append + fdatasync): {:.0}/s",
        raw_fsync_rate()
    );
    for writers in [1, 4, 16] {
        for (name, mode, total) in [
            ("fsync per write", Mode::FsyncPerWrite, 3000),
            (
                "batch commit   ",
                Mode::Batched(BatchOptions::default()),
                48_000,
            ),
        ] {
            let (rate, p50, p99) = run(mode, writers, total / writers);
            println!(
                "{writers:>2} writers, {name}: {rate:>9.0} writes/s  ack p50 {:>7.3} ms  p99 {:>7.3} ms",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
        }
    }
}
