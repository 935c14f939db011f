//! Event store benchmark (`cargo bench -p persist`): durable appends/s (one event per commit,
//! and batches), replay of 1M events from disk, snapshot + tail against full replay, and a
//! view read against a fold.

use std::time::Instant;

use persist::{DiskBackend, Event, NewEvent, Store, View};
use serde_json::json;

fn sum(acc: i64, e: &Event) -> i64 {
    acc + e.data["n"].as_i64().unwrap_or(0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir_in(".").unwrap();
    let s = Store::new(DiskBackend::open(dir.path()).unwrap());
    let n = 2000;
    let t0 = Instant::now();
    for i in 0..n {
        s.append("single", vec![NewEvent::new("X", json!({"n": i}))])
            .unwrap();
    }
    let d = t0.elapsed().as_secs_f64();
    println!(
        "durable append, 1 event per commit:   {:>9.0} events/s ({n} in {d:.2}s)",
        n as f64 / d
    );
    let batches = 200;
    let t0 = Instant::now();
    for b in 0..batches {
        let events = (0..100)
            .map(|i| NewEvent::new("X", json!({"n": b * 100 + i})))
            .collect();
        s.append("batched", events).unwrap();
    }
    let d = t0.elapsed().as_secs_f64();
    println!(
        "durable append, 100 events per commit:{:>9.0} events/s",
        (batches * 100) as f64 / d
    );

    // 1M events, then reopen (replays the log from disk) and fold.
    let total: i64 = 1_000_000;
    let t0 = Instant::now();
    for b in 0..(total / 1000) {
        let events = (0..1000)
            .map(|i| NewEvent::new("X", json!({"n": b * 1000 + i})))
            .collect();
        s.append("big", events).unwrap();
    }
    println!(
        "wrote 1M events in batches of 1000 in {:.2}s",
        t0.elapsed().as_secs_f64()
    );
    s.checkpoint("big-sum", "big", 0i64, sum).unwrap();
    for i in 0..100 {
        s.append("big", vec![NewEvent::new("X", json!({"n": i}))])
            .unwrap();
    }
    drop(s);
    let t0 = Instant::now();
    let s = Store::new(DiskBackend::open(dir.path()).unwrap());
    println!(
        "reopen (replay of 1,000,100 events from disk): {:.2}s",
        t0.elapsed().as_secs_f64()
    );
    let t0 = Instant::now();
    let full = s.project("big", 0i64, sum).unwrap();
    let full_t = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let snap = s.replay("big-sum", "big", 0i64, sum).unwrap();
    let snap_t = t0.elapsed().as_secs_f64();
    assert_eq!(full, snap);
    println!(
        "full replay fold: {:.3}s   snapshot + 100-event tail: {:.6}s",
        full_t, snap_t
    );
    let view = View::new(&s, "big", "big-sum", 0i64, sum).unwrap();
    let t0 = Instant::now();
    let mut x = 0;
    for _ in 0..1000 {
        x += view.peek().seq;
    }
    let peek = t0.elapsed().as_secs_f64() / 1000.0;
    assert!(x > 0);
    println!(
        "view peek: {:.3} µs   fold of the stream: {:.3} s",
        peek * 1e6,
        full_t
    );
}
