//! The persist mission's tests. Every behaviour runs against both backends (memory and disk);
//! durability runs against the disk with real processes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use exemplar::design;
use persist::{
    Appended, Backend as _, DiskBackend, Event, MemoryBackend, NewEvent, PersistError, Store,
};
use serde_json::json;

fn ev(kind: &str, n: i64) -> NewEvent {
    NewEvent::new(kind, json!({ "n": n }))
}

fn sum(acc: i64, e: &Event) -> i64 {
    acc + e.data["n"].as_i64().unwrap_or(0)
}

/// Run `$body` with `$s` bound to a memory store, then to a fresh disk store.
macro_rules! both {
    (|$s:ident| $body:block) => {{
        {
            let $s = Store::new(MemoryBackend::new());
            $body
        }
        {
            let dir = tempfile::tempdir().unwrap();
            let $s = Store::new(DiskBackend::open(dir.path()).unwrap());
            $body
        }
    }};
}

#[design(C1)]
fn streams_number_events_one_two_three() {
    both!(|s| {
        for i in 1..=5 {
            let e = s.append("a", vec![ev("X", i)]).unwrap();
            assert_eq!(e[0].seq, i as u64);
        }
        assert_eq!(
            s.append("b", vec![ev("X", 0)]).unwrap()[0].seq,
            1,
            "seqs are per stream"
        );
        let seqs: Vec<u64> = s.read("a").unwrap().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        assert!(matches!(
            s.append("$x", vec![]),
            Err(PersistError::BadStream(..))
        ));
    });
}

#[design(C2)]
fn append_expect_reports_conflicts_as_values() {
    both!(|s| {
        assert!(
            s.append_expect("a", 0, vec![ev("X", 1)])
                .unwrap()
                .done()
                .is_some()
        );
        match s.append_expect("a", 0, vec![ev("X", 2)]).unwrap() {
            Appended::Conflict { expected, actual } => {
                assert_eq!((expected, actual), (json!(0), json!(1)))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.read("a").unwrap().len(), 1, "a conflict writes nothing");
    });
}

#[design(C2, C3)]
fn concurrent_append_expect_never_loses_or_duplicates() {
    both!(|s| {
        let s = Arc::new(s);
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let s = s.clone();
                std::thread::spawn(move || {
                    let mut mine = 0;
                    while mine < 25 {
                        let last = s.last_seq("c").unwrap();
                        let batch = vec![ev("X", t), ev("Y", t)];
                        if s.append_expect("c", last, batch).unwrap().done().is_some() {
                            mine += 1;
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let events = s.read("c").unwrap();
        assert_eq!(events.len(), 4 * 25 * 2);
        for (i, pair) in events.chunks(2).enumerate() {
            assert_eq!(
                (pair[0].seq, pair[1].seq),
                (2 * i as u64 + 1, 2 * i as u64 + 2)
            );
            assert_eq!(
                (pair[0].kind.as_str(), pair[1].kind.as_str()),
                ("X", "Y"),
                "a batch is contiguous"
            );
            assert_eq!(
                pair[0].data, pair[1].data,
                "both halves of a batch come from one writer"
            );
        }
    });
}

#[design(C4)]
fn the_global_order_is_the_commit_order() {
    both!(|s| {
        s.gappend("a", vec![ev("X", 1)]).unwrap();
        s.gappend("b", vec![ev("X", 2), ev("X", 3)]).unwrap();
        s.gappend("a", vec![ev("X", 4)]).unwrap();
        s.append("c", vec![ev("X", 99)]).unwrap(); // not in the global order
        let order: Vec<i64> = s
            .read_global()
            .unwrap()
            .iter()
            .map(|e| e.data["n"].as_i64().unwrap())
            .collect();
        assert_eq!(order, [1, 2, 3, 4]);
        let tail: Vec<i64> = s
            .global_from(2)
            .unwrap()
            .iter()
            .map(|e| e.data["n"].as_i64().unwrap())
            .collect();
        assert_eq!(tail, [3, 4]);
        assert!(!s.streams().unwrap().contains(&"$global".to_owned()));
        assert!(s.streams_all().unwrap().contains(&"$global".to_owned()));
    });
}

#[design(C5)]
fn kv_compare_and_set_and_create_only() {
    both!(|s| {
        assert!(!s.kv_put_new("k", json!(1)).unwrap().is_conflict());
        assert!(s.kv_put_new("k", json!(2)).unwrap().is_conflict());
        match s.kv_cas("k", Some(&json!(5)), json!(6)).unwrap() {
            Appended::Conflict { expected, actual } => {
                assert_eq!((expected, actual), (json!(5), json!(1)))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            !s.kv_cas("k", Some(&json!(1)), json!(7))
                .unwrap()
                .is_conflict()
        );
        assert_eq!(s.kv_get("k").unwrap(), Some(json!(7)));
    });
}

#[design(C6)]
fn append_once_appends_at_most_once() {
    both!(|s| {
        let first = s.append_once("pay", "req-1", vec![ev("Paid", 10)]).unwrap();
        let again = s.append_once("pay", "req-1", vec![ev("Paid", 10)]).unwrap();
        assert_eq!(first, again);
        assert_eq!(s.read("pay").unwrap().len(), 1);
        assert!(s.seen("pay", "req-1").unwrap());
        assert!(!s.seen("pay", "req-2").unwrap());
    });
}

#[design(R1)]
fn projections_fold_and_resume() {
    both!(|s| {
        for i in 1..=10 {
            s.append("p", vec![ev("X", i)]).unwrap();
        }
        let full = s.project("p", 0, sum).unwrap();
        assert_eq!((full.value, full.seq), (55, 10));
        let prefix = persist::State { value: 15, seq: 5 };
        let resumed = s.project_resume("p", prefix, sum).unwrap();
        assert_eq!(resumed, full);
    });
}

#[design(R2, R3, D3)]
fn snapshots_and_compaction_equal_full_replay() {
    both!(|s| {
        for i in 1..=20 {
            s.append("o", vec![ev("X", i)]).unwrap();
        }
        let full = s.project("o", 0i64, sum).unwrap();
        s.checkpoint("total", "o", 0i64, sum).unwrap();
        for i in 21..=25 {
            s.append("o", vec![ev("X", i)]).unwrap();
        }
        let full2 = s.project("o", 0i64, sum).unwrap();
        assert_eq!(
            s.replay("total", "o", 0i64, sum).unwrap(),
            full2,
            "snapshot + tail == full replay"
        );
        assert!(full2.value > full.value);
        assert!(s.should_compact("o", 10).unwrap());
        s.compact("total", "o", 0i64, sum).unwrap();
        assert!(
            s.read("o").unwrap().is_empty(),
            "compaction dropped the covered events"
        );
        assert_eq!(s.replay("total", "o", 0i64, sum).unwrap(), full2);
        assert_eq!(
            s.last_seq("o").unwrap(),
            25,
            "the high-water mark survives truncation"
        );
        assert_eq!(
            s.append("o", vec![ev("X", 26)]).unwrap()[0].seq,
            26,
            "seqs are never reused"
        );
        assert!(!s.maybe_compact(10, "total", "o", 0i64, sum).unwrap());
    });
}

#[design(R4)]
fn queries_select_exactly() {
    both!(|s| {
        for i in 1..=10 {
            s.append("q", vec![ev(if i % 2 == 0 { "Even" } else { "Odd" }, i)])
                .unwrap();
        }
        let between: Vec<u64> = s
            .read_between("q", 3, 6)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(between, [3, 4, 5, 6]);
        assert_eq!(s.read_by_type("q", "Even").unwrap().len(), 5);
        assert_eq!(
            s.count_where("q", |e| e.data["n"].as_i64().unwrap() > 7)
                .unwrap(),
            3
        );
        let at = s.read("q").unwrap()[0].at;
        assert_eq!(s.read_since("q", at).unwrap().len(), 10);
        assert!(
            s.read_window("q", at + 3_600_000, at + 7_200_000)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.read_where("q", |e| e.seq == 7).unwrap()[0].data["n"],
            json!(7)
        );
    });
}

#[design(R5)]
fn the_catalog_lists_streams_even_when_compacted() {
    both!(|s| {
        s.append("x", vec![ev("A", 1), ev("A", 2)]).unwrap();
        s.gappend("y", vec![ev("A", 3)]).unwrap();
        s.compact("snap", "x", 0i64, sum).unwrap();
        assert_eq!(s.streams().unwrap(), ["x", "y"]);
        assert_eq!(s.stream_count().unwrap(), 2);
        assert!(s.stream_exists("x").unwrap());
        assert!(!s.stream_exists("z").unwrap());
        assert_eq!(s.total_events().unwrap(), 3);
    });
}

#[design(R6)]
fn blobs_are_content_addressed_and_deduplicated() {
    both!(|s| {
        let a = s
            .put_blob(b"invoice #1 pdf bytes", "application/pdf")
            .unwrap();
        let b = s
            .put_blob(b"invoice #1 pdf bytes", "application/pdf")
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.size, 20);
        s.append("inv", vec![NewEvent::new("Issued", json!({ "pdf": a }))])
            .unwrap();
        let stored = &s.read("inv").unwrap()[0].data["pdf"];
        assert_eq!(stored["cid"], json!(a.cid), "the log holds the ref");
        assert_eq!(s.get_blob(&a).unwrap(), b"invoice #1 pdf bytes");
        let ghost = persist::BlobRef {
            cid: "0".repeat(64),
            size: 1,
            mime: "x".into(),
        };
        assert!(matches!(
            s.get_blob(&ghost),
            Err(PersistError::MissingBlob { .. })
        ));
    });
}

#[design(D1, D2, C6)]
fn a_real_restart_keeps_everything_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::new(DiskBackend::open(dir.path()).unwrap());
        s.kv_put("config", json!({"tax": 0.2})).unwrap();
        s.append_once("pay", "req-1", vec![ev("Paid", 1)]).unwrap();
        s.put_blob(b"receipt", "text/plain").unwrap();
    }
    for round in 0..3 {
        let mut child = Killed(
            Command::new(env!("CARGO_BIN_EXE_persist-writer"))
                .arg(dir.path())
                .arg("200")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
        let mut acked = 0;
        let kill_at = [37u64, 150, u64::MAX][round];
        for line in lines.map_while(Result::ok) {
            if line == "ready" {
                // While the child holds the store, another opener is refused.
                match DiskBackend::open(dir.path()) {
                    Err(PersistError::Locked { pid, .. }) => {
                        assert_eq!(pid, child.0.id().to_string())
                    }
                    Err(e) => panic!("{e}"),
                    Ok(_) => panic!("two processes opened one store"),
                }
            }
            if let Some(n) = line.strip_prefix("acked ") {
                acked = n.parse().unwrap();
                if acked >= kill_at.saturating_add(round as u64 * 200) {
                    break;
                }
            }
            if line == "done" {
                break;
            }
        }
        drop(child); // SIGKILL, and wait for it
        let s = Store::new(DiskBackend::open(dir.path()).unwrap());
        let events = s.read("orders").unwrap();
        assert!(
            events.len() as u64 >= acked,
            "round {round}: acked {acked}, found {}",
            events.len()
        );
        for (i, e) in events.iter().enumerate() {
            assert_eq!(
                e.seq,
                i as u64 + 1,
                "seqs continue across restarts without gaps"
            );
        }
        assert_eq!(
            s.read_global().unwrap().len(),
            events.len(),
            "the global order survived"
        );
        assert_eq!(s.kv_get("config").unwrap(), Some(json!({"tax": 0.2})));
        assert!(
            s.seen("pay", "req-1").unwrap(),
            "idempotency markers survive"
        );
        assert_eq!(
            s.append_once("pay", "req-1", vec![ev("Paid", 1)])
                .unwrap()
                .len(),
            1
        );
        assert_eq!(s.read("pay").unwrap().len(), 1);
        assert!(
            s.backend()
                .blob_get(&persist_cid(b"receipt"))
                .unwrap()
                .is_some()
        );
    }
}

fn persist_cid(b: &[u8]) -> String {
    let s = Store::new(MemoryBackend::new());
    s.put_blob(b, "x").unwrap().cid
}

#[design(D1)]
fn a_torn_write_is_dropped_and_damage_is_reported_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::new(DiskBackend::open(dir.path()).unwrap());
        for i in 1..=5 {
            s.append("a", vec![ev("X", i)]).unwrap();
        }
    }
    let log = dir.path().join("events.log");
    let full = std::fs::read(&log).unwrap();
    std::fs::write(&log, &full[..full.len() - 7]).unwrap();
    let s = Store::new(DiskBackend::open(dir.path()).unwrap());
    assert_eq!(
        s.read("a").unwrap().len(),
        4,
        "the torn last commit is dropped"
    );
    s.append("a", vec![ev("X", 5)]).unwrap();
    drop(s);
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[20] ^= 0x55;
    std::fs::write(&log, &bytes).unwrap();
    match DiskBackend::open(dir.path()) {
        Err(PersistError::Damaged { offset, .. }) => assert_eq!(offset, 0),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a damaged log must not open"),
    }
}

#[design(E1)]
fn upcasters_lift_legacy_events_on_read() {
    both!(|s| {
        s.append(
            "o",
            vec![NewEvent::new("OrderPlacedV1", json!({"total": 10}))],
        )
        .unwrap();
        s.append(
            "o",
            vec![NewEvent::new(
                "OrderPlaced",
                json!({"total": 5, "currency": "EUR"}),
            )],
        )
        .unwrap();
        let up = persist::Upcasters::new()
            .current("OrderPlaced")
            .register("OrderPlacedV1", |e| {
                persist::upcast_data(e, "OrderPlaced", json!({"currency": "USD"}))
            });
        let events = s.read_upcast("o", &up).unwrap();
        assert!(events.iter().all(|e| e.kind == "OrderPlaced"));
        assert_eq!(events[0].data, json!({"total": 10, "currency": "USD"}));
        assert_eq!(
            s.read("o").unwrap()[0].kind,
            "OrderPlacedV1",
            "history is not rewritten"
        );
        let total = s
            .project_upcast("o", &up, 0, |a, e| a + e.data["total"].as_i64().unwrap())
            .unwrap();
        assert_eq!(total.value, 15);
        // An unknown type with no upcaster is a typed error naming it and where.
        s.append("o", vec![NewEvent::new("Mystery", json!({}))])
            .unwrap();
        match s.read_upcast("o", &up) {
            Err(PersistError::UnknownEventType { stream, seq, kind }) => {
                assert_eq!((stream.as_str(), seq, kind.as_str()), ("o", 3, "Mystery"))
            }
            other => panic!("{other:?}"),
        }
    });
}

#[design(R7)]
fn views_are_current_in_o1_and_never_stale() {
    both!(|s| {
        let store = Arc::new(s);
        let view = Arc::new(persist::View::new(&store, "v", "v-snap", 0i64, sum).unwrap());
        let hub = persist::Hub::new(store.clone());
        hub.attach(view.clone());
        for i in 1..=4 {
            hub.publish("v", vec![ev("X", i)]).unwrap();
        }
        assert_eq!(view.peek().value, 10, "refreshed by each publish");
        store.append("v", vec![ev("X", 5)]).unwrap(); // behind the hub's back
        assert_eq!(view.peek().value, 10);
        assert_eq!(
            view.value(&store).unwrap().value,
            15,
            "value folds the tail"
        );
        // A view reopened from its snapshot agrees.
        store.checkpoint("v-snap", "v", 0i64, sum).unwrap();
        let again = persist::View::new(&store, "v", "v-snap", 0i64, sum).unwrap();
        assert_eq!(again.peek(), view.peek());
    });
}

/// The durability invariants, checked for any backend: append, reopen, find everything.
fn durability_violations(
    open: &dyn Fn(&std::path::Path) -> Store<Box<dyn persist::Backend>>,
) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vec::new();
    {
        let s = open(dir.path());
        for i in 1..=10 {
            s.append("d", vec![ev("X", i)]).unwrap();
        }
        s.kv_put("k", json!(1)).unwrap();
    }
    let s = open(dir.path());
    if s.read("d").unwrap().len() != 10 {
        v.push("acknowledged events lost on reopen".to_owned());
    }
    if s.last_seq("d").unwrap() != 10 {
        v.push("the high-water mark went back".to_owned());
    }
    if s.kv_get("k").unwrap().is_none() {
        v.push("an acknowledged kv value was lost".to_owned());
    }
    v
}

/// The data-loss lesson's culprit: acknowledges every write and keeps nothing across a reopen.
struct Forgetful(MemoryBackend);

impl persist::Backend for Forgetful {
    fn commit(&self, c: &persist::Commit) -> persist::Result<()> {
        self.0.commit(c)
    }
    fn read(&self, s: &str, a: u64) -> persist::Result<Vec<Event>> {
        self.0.read(s, a)
    }
    fn last_seq(&self, s: &str) -> persist::Result<u64> {
        self.0.last_seq(s)
    }
    fn streams(&self) -> persist::Result<Vec<String>> {
        self.0.streams()
    }
    fn truncate_through(&self, s: &str, q: u64) -> persist::Result<()> {
        self.0.truncate_through(s, q)
    }
    fn kv_get(&self, k: &str) -> persist::Result<Option<serde_json::Value>> {
        self.0.kv_get(k)
    }
    fn kv_put(&self, k: &str, v: &serde_json::Value) -> persist::Result<()> {
        self.0.kv_put(k, v)
    }
    fn blob_put(&self, c: &str, b: &[u8]) -> persist::Result<()> {
        self.0.blob_put(c, b)
    }
    fn blob_get(&self, c: &str) -> persist::Result<Option<Vec<u8>>> {
        self.0.blob_get(c)
    }
}

#[design(D4)]
fn a_backend_that_forgets_is_caught_by_the_durability_checks() {
    let disk = durability_violations(&|p| {
        Store::new(Box::new(DiskBackend::open(p).unwrap()) as Box<dyn persist::Backend>)
    });
    assert!(disk.is_empty(), "{disk:?}");
    let forgetful = durability_violations(&|_| {
        Store::new(Box::new(Forgetful(MemoryBackend::new())) as Box<dyn persist::Backend>)
    });
    assert_eq!(
        forgetful.len(),
        3,
        "the broken backend must fail every durability check: {forgetful:?}"
    );
}

/// An order ledger: log + kv read model + snapshot + compaction + an invoice blob ref.
fn ledger_step(s: &Store<DiskBackend>, i: i64) {
    s.gappend("ledger", vec![ev("OrderPlaced", i)]).unwrap();
    let model = s
        .kv_get("model/orders")
        .unwrap()
        .unwrap_or(json!({"count": 0, "total": 0}));
    let next = json!({"count": model["count"].as_i64().unwrap() + 1, "total": model["total"].as_i64().unwrap() + i});
    assert!(
        !s.kv_cas(
            "model/orders",
            s.kv_get("model/orders").unwrap().as_ref(),
            next
        )
        .unwrap()
        .is_conflict()
    );
    if i % 5 == 0 {
        let invoice = s
            .put_blob(format!("invoice {i}").as_bytes(), "text/plain")
            .unwrap();
        s.append(
            "invoices",
            vec![NewEvent::new("Issued", json!({"order": i, "pdf": invoice}))],
        )
        .unwrap();
        s.compact("ledger-total", "ledger", 0i64, sum).unwrap();
    }
}

#[design(D2, D5)]
fn the_order_ledger_survives_restarts_and_converges() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected_total: i64 = 0;
    for (restart, range) in [(0, 1..=12), (1, 13..=23), (2, 24..=30)] {
        let s = Store::new(DiskBackend::open(dir.path()).unwrap());
        assert_eq!(
            s.last_seq("ledger").unwrap(),
            range.start() - 1,
            "restart {restart}: seq continues"
        );
        for i in range {
            ledger_step(&s, i as i64);
            expected_total += i as i64;
        }
    }
    // Two more restarts: everything converges to the same state.
    let states: Vec<_> = (0..2)
        .map(|_| {
            let s = Store::new(DiskBackend::open(dir.path()).unwrap());
            let folded = s.replay("ledger-total", "ledger", 0i64, sum).unwrap();
            let model = s.kv_get("model/orders").unwrap().unwrap();
            let invoices: Vec<Vec<u8>> = s
                .read("invoices")
                .unwrap()
                .iter()
                .map(|e| {
                    s.get_blob(&serde_json::from_value(e.data["pdf"].clone()).unwrap())
                        .unwrap()
                })
                .collect();
            (folded, model, invoices, s.read_global().unwrap().len())
        })
        .collect();
    assert_eq!(states[0], states[1], "two restarts converge");
    let (folded, model, invoices, global) = &states[0];
    assert_eq!((folded.value, folded.seq), (expected_total, 30));
    assert_eq!(model, &json!({"count": 30, "total": expected_total}));
    assert_eq!(invoices.len(), 6);
    assert_eq!(invoices[5], b"invoice 30");
    assert!(*global < 30, "compacted events leave the global replay");
}

#[design(X1)]
fn the_acl_example_keeps_grants_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let acl = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_acl-example"))
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    acl(&["grant", "alice", "read"]);
    acl(&["grant", "bob", "write"]);
    acl(&["grant", "bob", "read"]);
    acl(&["revoke", "bob", "write"]);
    // Each call is a new process: these answers come from disk.
    assert_eq!(acl(&["check", "alice", "read"]), "yes\n");
    assert_eq!(acl(&["check", "bob", "write"]), "no\n");
    assert_eq!(acl(&["list"]), "alice:read\nbob:read\n");
    let audit = acl(&["audit"]);
    assert_eq!(audit.lines().count(), 4);
    assert!(
        audit.lines().last().unwrap().ends_with("Revoked bob write"),
        "{audit}"
    );
}

/// A child process that is killed (SIGKILL) and reaped when dropped, even if the test panics.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

exemplar::main!();
