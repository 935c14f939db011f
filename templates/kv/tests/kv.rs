//! The kv mission's tests, each derived from a directive's invariant.
//!
//! Features `iteration-0` .. `iteration-2` replay the founding note: the stress test appears at
//! iteration 2 linked to S1, and at iteration 3 (the default build) it verifies S1 and S3.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use exemplar::design;
use kv::KvStore;

/// The tests that fsync a lot take turns: the stress test measures the store, not its
/// neighbours competing for the same disk.
fn disk() -> std::sync::MutexGuard<'static, ()> {
    static DISK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    DISK.lock().unwrap_or_else(|e| e.into_inner())
}

fn dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("kv-test-")
        .tempdir()
        .unwrap()
}

/// Verify the write-ahead log preserves order: the log equals the operations.
#[design(S1)]
fn wal_ordering() {
    let _disk = disk();
    let d = dir();
    let store = KvStore::open(d.path()).unwrap();
    let mut ops = Vec::new();
    for i in 0..1000 {
        let (k, v) = (format!("k{}", i % 100), format!("v{i}"));
        store.write(&k, &v).unwrap();
        ops.push((k.into_bytes(), v.into_bytes()));
    }
    assert_eq!(store.read_log().unwrap(), ops);
}

/// Verify no acknowledged write is lost when the process is killed (SIGKILL) mid-write.
#[design(S2)]
fn crash_recovery() {
    let _disk = disk();
    let d = dir();
    for round in 0..3 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kv-writer"))
            .arg(d.path())
            .arg("500")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut acked = None;
        // Kill at a different point each round: mid-stream, or after everything was acked.
        let kill_after = [120usize, 377, usize::MAX][round];
        for line in out.lines().map_while(Result::ok) {
            if let Some(n) = line.strip_prefix("acked ") {
                acked = n.parse::<usize>().ok();
                if acked.is_some_and(|a| a >= kill_after) {
                    break;
                }
            }
            if line == "done" {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL: nothing is flushed or closed
        child.wait().unwrap();
        let acked = acked.expect("the writer acknowledged nothing");
        let store = KvStore::open(d.path()).unwrap();
        for i in 0..=acked {
            assert_eq!(
                store.read(format!("k{i}")).as_deref(),
                Some(format!("v{i}").as_bytes()),
                "round {round}: acknowledged write k{i} lost after the crash"
            );
        }
    }
}

/// Under load (16 concurrent writers), throughput exceeds 10,000 writes/s and the p99 latency
/// of an acknowledgement stays under 10 ms.
#[cfg(not(any(
    feature = "iteration-0",
    feature = "iteration-1",
    feature = "iteration-2"
)))]
#[design(S1, S3)]
fn throughput() {
    stress();
}

/// The stress test as it first appeared (iteration 2), before batch commit existed.
#[cfg(feature = "iteration-2")]
#[design(S1)]
fn throughput() {
    stress();
}

/// 16 writers, 1,500 writes each: more than 10,000 writes/s, ack p99 under 10 ms. Other load on
/// the machine (a build, another test's fsyncs) only ever slows a round down, so the bounds
/// hold when the best of up to three rounds meets them; every round is reported when none does.
#[cfg(not(any(feature = "iteration-0", feature = "iteration-1")))]
fn stress() {
    let _disk = disk();
    let mut rounds = Vec::new();
    for _ in 0..3 {
        let (rate, p99) = stress_round();
        rounds.push(format!("{rate:.0} writes/s, ack p99 {p99:?}"));
        if rate > 10_000.0 && p99 < std::time::Duration::from_millis(10) {
            return;
        }
    }
    panic!(
        "too slow: no round reached 10,000 writes/s with ack p99 under 10 ms ({})",
        rounds.join("; ")
    );
}

/// One round: writes per second and the ack latency's 99th percentile.
#[cfg(not(any(feature = "iteration-0", feature = "iteration-1")))]
fn stress_round() -> (f64, std::time::Duration) {
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    let d = dir();
    let store = Arc::new(KvStore::open(d.path()).unwrap());
    let writers = 16;
    let per = 1500;
    let t0 = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity(per);
                for i in 0..per {
                    let t = Instant::now();
                    store.write(format!("w{w}-{i}"), "value").unwrap();
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let elapsed = t0.elapsed();
    assert_eq!(store.len(), writers * per);
    lat.sort();
    let rate = (writers * per) as f64 / elapsed.as_secs_f64();
    (rate, lat[lat.len() * 99 / 100])
}

/// Concurrent writers to the same keys: the map after reopening equals the map before (the
/// log's order is the order the writes were applied in).
#[cfg(not(any(
    feature = "iteration-0",
    feature = "iteration-1",
    feature = "iteration-2"
)))]
#[design(S1, S2)]
fn concurrent_writers_agree_with_the_log() {
    let _disk = disk();
    use std::sync::Arc;
    let d = dir();
    let store = Arc::new(KvStore::open(d.path()).unwrap());
    let handles: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..300 {
                    store
                        .write(format!("shared{}", i % 10), format!("{w}:{i}"))
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let before: Vec<Option<Vec<u8>>> = (0..10).map(|i| store.read(format!("shared{i}"))).collect();
    drop(store);
    let again = KvStore::open(d.path()).unwrap();
    let after: Vec<Option<Vec<u8>>> = (0..10).map(|i| again.read(format!("shared{i}"))).collect();
    assert_eq!(before, after);
    assert_eq!(again.read_log().unwrap().len(), 8 * 300);
}

/// Reopening twice changes nothing, and writes continue after the replayed ones.
#[cfg(not(any(
    feature = "iteration-0",
    feature = "iteration-1",
    feature = "iteration-2"
)))]
#[design(S2)]
fn reopen_twice() {
    let d = dir();
    {
        let s = KvStore::open(d.path()).unwrap();
        s.write("a", "1").unwrap();
        s.close().unwrap();
    }
    {
        let s = KvStore::open(d.path()).unwrap();
        assert_eq!(s.read("a").as_deref(), Some(&b"1"[..]));
        s.write("b", "2").unwrap();
    }
    let s = KvStore::open(d.path()).unwrap();
    assert_eq!(s.read_log().unwrap().len(), 2);
    assert_eq!(s.read("b").as_deref(), Some(&b"2"[..]));
}

/// An empty store opens, reads nothing, and has an empty log.
#[cfg(not(any(
    feature = "iteration-0",
    feature = "iteration-1",
    feature = "iteration-2"
)))]
#[design(S2)]
fn empty_log() {
    let d = dir();
    let s = KvStore::open(d.path()).unwrap();
    assert!(s.is_empty());
    assert_eq!(s.read("nothing"), None);
    assert!(s.read_log().unwrap().is_empty());
}

/// A torn last record is dropped, never mis-read; damage before the end is an error with its
/// offset.
#[cfg(not(any(
    feature = "iteration-0",
    feature = "iteration-1",
    feature = "iteration-2"
)))]
#[design(S2)]
fn torn_and_damaged_logs() {
    let d = dir();
    {
        let s = KvStore::open(d.path()).unwrap();
        for i in 0..10 {
            s.write(format!("k{i}"), "v").unwrap();
        }
    }
    let path = d.path().join("kv.log");
    let full = std::fs::read(&path).unwrap();
    std::fs::write(&path, &full[..full.len() - 5]).unwrap();
    let s = KvStore::open(d.path()).unwrap();
    assert_eq!(s.len(), 9, "the torn record is dropped");
    s.write("k10", "v").unwrap();
    drop(s);
    // Damage the length field of the second record (bytes 19..23): it now claims gigabytes.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[22] ^= 0x7f;
    std::fs::write(&path, &bytes).unwrap();
    match KvStore::open(d.path()) {
        Err(kv::KvError::Damaged { offset, .. }) => assert_eq!(offset, 19),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a damaged log must not open"),
    }
}

exemplar::main!();
