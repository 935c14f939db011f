//! The journal as its users see it: one writer at a time, blobs stored once, the index derived
//! and rebuildable, idempotent ingestion, and the queries.

mod common;

use exemplar_formats::Outcome;
use exemplar_formats::journal::{FlippedTest, LossChange, NodeRef};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use exemplar_store::records::{TestDef, TestResult};
use exemplar_store::{At, Contention, JournalWriter, StoreError, open_index};

#[test]
fn a_second_writer_fails_or_waits_and_never_interleaves() {
    let dir = tempfile::tempdir().unwrap();
    let first = writer(dir.path());
    let err = match JournalWriter::open(dir.path(), Contention::Fail, opts(), &mut |_| {}) {
        Err(e) => e,
        Ok(_) => panic!("two writers"),
    };
    let StoreError::Locked { pid, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(pid, &std::process::id().to_string());
    drop(first);

    // Two writers in two threads, both waiting: each one's records form one block.
    let (tx, rx) = mpsc::channel();
    let handles: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let path = dir.path().to_owned();
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut w = JournalWriter::open(&path, Contention::Wait, opts(), &mut |holder| {
                    tx.send(format!("{name} waits for {holder}")).unwrap();
                })
                .unwrap();
                w.append(&start(name, 1, name)).unwrap();
                for i in 0..200 {
                    w.append(&outcome(name, &format!("t{i}"), 0)).unwrap();
                    if i % 50 == 0 {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
                w.close().unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    drop(tx);
    let owners: Vec<String> = all_records(dir.path())
        .into_iter()
        .filter_map(|(_, r)| match r {
            exemplar_store::Record::Outcome(o) => Some(o.run_id),
            _ => None,
        })
        .collect();
    assert_eq!(owners.len(), 400);
    let switches = owners.windows(2).filter(|w| w[0] != w[1]).count();
    assert_eq!(switches, 1, "the two writers' records interleaved");
    let waits: Vec<String> = rx.iter().collect();
    assert!(waits.len() <= 1, "{waits:?}");
}

#[test]
fn blobs_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path());
    let msg = b"assertion `left == right` failed\n  left: 4\n right: 5";
    let first = w.put_blob(msg).unwrap();
    for _ in 0..1000 {
        assert_eq!(w.put_blob(msg).unwrap(), first);
    }
    w.close().unwrap();
    // Even across reopen (the writer learns known blobs from the index).
    let mut w = writer(dir.path());
    w.put_blob(msg).unwrap();
    w.close().unwrap();
    let rep = exemplar_store::verify(dir.path()).unwrap();
    assert_eq!(rep.by_kind.get("blob"), Some(&1));
    let index = open_index(dir.path()).unwrap();
    assert_eq!(
        index.blob(dir.path(), &first).unwrap().as_deref(),
        Some(&msg[..])
    );
}

fn three_runs(dir: &std::path::Path) {
    let mut w = writer(dir);
    w.append(&start("run-a", 1000, "c1")).unwrap();
    w.append(&outcome("run-a", "tests/kv.rs::wal", 0)).unwrap();
    w.append(&outcome("run-a", "tests/kv.rs::crash", 1))
        .unwrap();
    w.append(&end("run-a", 1010, 0.5)).unwrap();
    w.append(&start("run-b", 2000, "c1")).unwrap();
    w.append(&outcome("run-b", "tests/kv.rs::wal", 0)).unwrap();
    w.append(&outcome("run-b", "tests/kv.rs::crash", 0))
        .unwrap();
    w.append(&end("run-b", 2010, 0.0)).unwrap();
    // run-c never ends: a crash of the runner.
    w.append(&start("run-c", 3000, "c2+dirty")).unwrap();
    w.append(&outcome("run-c", "tests/kv.rs::wal", 1)).unwrap();
    w.close().unwrap();
}

#[test]
fn queries_over_runs_tests_and_directives() {
    let dir = tempfile::tempdir().unwrap();
    three_runs(dir.path());
    let ix = open_index(dir.path()).unwrap();
    let runs = ix.runs().unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["run-a", "run-b", "run-c"]);
    assert!(!runs[2].complete(), "no end record: incomplete");
    assert_eq!(
        ix.counts(&runs[2]).unwrap().to_codes(),
        [0, 1, 0, 0, 0, 0, 0],
        "its durable outcomes count"
    );
    assert_eq!(ix.find_run("run-b").unwrap().run_id, "run-b");
    assert_eq!(ix.find_run("latest").unwrap().run_id, "run-c");
    assert!(ix.find_run("run-").is_err(), "ambiguous prefix");

    let h = ix.test_history("crash").unwrap();
    let outcomes: Vec<u8> = h.iter().map(|p| p.outcome.outcome).collect();
    assert_eq!(outcomes, [1, 0]);
    let l = ix.loss_history("S1").unwrap();
    let losses: Vec<f64> = l.iter().map(|p| p.loss).collect();
    assert_eq!(losses, [0.5, 0.0]);

    // What did we believe at t=1500? run-a.
    assert_eq!(ix.resolve_at(&At::Time(1500)).unwrap().run_id, "run-a");
    assert_eq!(
        ix.resolve_at(&At::Commit("c2".into())).unwrap().run_id,
        "run-c"
    );
    assert!(ix.resolve_at(&At::Time(10)).is_err());

    let d = ix.diff(&runs[0], &runs[1]).unwrap();
    assert_eq!(
        d.flipped,
        [FlippedTest {
            mission: "kv".into(),
            reference: "tests/kv.rs::crash".into(),
            from: Some(Outcome::Failed),
            to: Some(Outcome::Passed),
        }]
    );
    assert!(d.loss.contains(&LossChange {
        mission: "kv".into(),
        node: "S1".into(),
        from: Some(0.5),
        to: Some(0.0),
    }));
    let d2 = ix.diff(&runs[1], &runs[2]).unwrap();
    assert_eq!(
        d2.design.changed,
        [NodeRef {
            mission: "kv".into(),
            id: "S1".into(),
        }],
        "fingerprint differs between commits"
    );

    // crash flipped between two runs of c1: flaky. run-c (dirty) is left out.
    let f = ix.flaky().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].reference, "tests/kv.rs::crash");
    let seen: Vec<(&str, Option<Outcome>)> = f[0]
        .outcomes
        .iter()
        .map(|o| (o.run_id.as_str(), o.outcome))
        .collect();
    let (a, b) = (runs[0].run_id.as_str(), runs[1].run_id.as_str());
    assert_eq!(
        seen,
        [(a, Some(Outcome::Failed)), (b, Some(Outcome::Passed))],
        "in run order"
    );
}

#[test]
fn the_index_is_derived_rebuilt_and_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    three_runs(dir.path());
    let n = open_index(dir.path()).unwrap().runs().unwrap().len();
    // Missing: rebuilt.
    std::fs::remove_file(dir.path().join("index.redb")).unwrap();
    let ix = open_index(dir.path()).unwrap();
    assert!(ix.rebuilt);
    assert_eq!(ix.runs().unwrap().len(), n);
    drop(ix);
    // Damaged: rebuilt.
    let path = dir.path().join("index.redb");
    let bytes = std::fs::read(&path).unwrap();
    let mut damaged = bytes[..512].to_vec();
    damaged.extend(std::iter::repeat_n(0xa5u8, bytes.len() - 512));
    std::fs::write(&path, &damaged).unwrap();
    let ix = open_index(dir.path()).unwrap();
    assert!(ix.rebuilt);
    assert_eq!(ix.runs().unwrap().len(), n);
    let applied = ix.applied().unwrap();
    drop(ix);
    // Cut short, as a process killed while it created the index leaves it (redb reads that
    // as invalid data): rebuilt, for a reader and for the writer alike.
    for len in [0, 7, 100, 4096] {
        std::fs::write(&path, &bytes[..len.min(bytes.len())]).unwrap();
        let ix = open_index(dir.path()).unwrap_or_else(|e| panic!("{len} bytes: {e}"));
        assert_eq!(ix.runs().unwrap().len(), n, "{len} bytes");
        drop(ix);
        std::fs::write(&path, &bytes[..len.min(bytes.len())]).unwrap();
        JournalWriter::open(dir.path(), Contention::Fail, opts(), &mut |_| {})
            .unwrap_or_else(|e| panic!("the writer over {len} bytes: {e}"))
            .close()
            .unwrap();
    }
    // Behind the WAL: caught up.
    let mut w = writer(dir.path());
    let _ = &mut w;
    drop(w);
    let mut w = JournalWriter::open(dir.path(), Contention::Fail, opts(), &mut |_| {}).unwrap();
    w.append(&start("run-d", 4000, "c3")).unwrap();
    w.flush().unwrap();
    drop(w); // no close: the index is not updated by the writer
    let ix = open_index(dir.path()).unwrap();
    assert_eq!(ix.applied().unwrap(), applied + 1);
    assert_eq!(ix.runs().unwrap().len(), n + 1);
}

#[test]
fn runs_of_one_design_share_its_fingerprints_and_an_older_index_is_rebuilt() {
    use redb::{ReadableDatabase, ReadableTableMetadata, TableDefinition};
    const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    const RUNS: TableDefinition<&str, &[u8]> = TableDefinition::new("runs");
    const STAMPS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("design_stamps");
    let dir = tempfile::tempdir().unwrap();
    three_runs(dir.path());
    let read = || {
        let ix = open_index(dir.path()).unwrap();
        let fingerprints: Vec<String> = (ix.runs().unwrap().iter())
            .map(|r| r.missions[0].nodes[0].fingerprint.clone())
            .collect();
        let losses: Vec<(String, f64)> = (ix.loss_history("S1").unwrap().into_iter())
            .map(|p| (p.run_id, p.loss))
            .collect();
        let a = ix.find_run("run-a").unwrap();
        let at = ix.loss_at("kv", "S1", &a).unwrap();
        (ix.rebuilt, fingerprints, losses, at)
    };
    let (_, fingerprints, losses, at) = read();
    assert_eq!(fingerprints, ["fp-c1", "fp-c1", "fp-c2+dirty"]);
    assert_eq!(losses, [("run-a".into(), 0.5), ("run-b".into(), 0.0)]);
    assert_eq!(at, Some(0.5));
    let run_a = open_index(dir.path()).unwrap().find_run("run-a").unwrap();
    // Runs a and b started with one design: two sets are kept, not three.
    let path = dir.path().join("index.redb");
    let db = redb::Database::open(&path).unwrap();
    let tx = db.begin_read().unwrap();
    assert_eq!(tx.open_table(STAMPS).unwrap().len().unwrap(), 2);
    drop(tx);

    // An index of format 7 kept each run's row as plain CBOR, fingerprints and all: its rows
    // are never read as this format's; the index is rebuilt.
    let tx = db.begin_write().unwrap();
    {
        let mut runs = tx.open_table(RUNS).unwrap();
        let plain = minicbor::to_vec(&run_a).unwrap();
        runs.insert("run-a", plain.as_slice()).unwrap();
        let mut meta = tx.open_table(META).unwrap();
        let format = [7u32.to_le_bytes(), 0u32.to_le_bytes()].concat();
        meta.insert("format", format.as_slice()).unwrap();
    }
    tx.commit().unwrap();
    drop(db);
    let (rebuilt, again, losses_again, _) = read();
    assert!(rebuilt, "an index of format 7 is rebuilt");
    assert_eq!(again, fingerprints);
    assert_eq!(losses_again, losses);
}

#[test]
fn ingesting_a_run_twice_records_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path());
    for _ in 0..2 {
        w.append(&start("same", 1000, "c1")).unwrap();
        w.append(&outcome("same", "tests/kv.rs::wal", 0)).unwrap();
        w.append(&end("same", 1001, 0.0)).unwrap();
    }
    w.close().unwrap();
    let ix = open_index(dir.path()).unwrap();
    assert_eq!(ix.runs().unwrap().len(), 1);
    assert_eq!(ix.test_history("wal").unwrap().len(), 1);
    assert_eq!(ix.loss_history("S1").unwrap().len(), 1);
}

#[test]
fn a_newer_format_is_refused_with_both_versions() {
    let dir = journal_dir_with_one_record();
    let seg = segment(dir.path());
    let mut data = std::fs::read(&seg).unwrap();
    let newer = exemplar_store::format::MAJOR + 1;
    data[8..10].copy_from_slice(&newer.to_le_bytes());
    std::fs::write(&seg, &data).unwrap();
    let err = exemplar_store::verify(dir.path()).unwrap_err();
    let text = err.to_string();
    let (found, known) = (
        format!("format {newer}.0"),
        format!("format {}.x", exemplar_store::format::MAJOR),
    );
    assert!(text.contains(&found) && text.contains(&known), "{text}");
}

fn journal_dir_with_one_record() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path());
    w.append(&start("r", 1, "c")).unwrap();
    w.close().unwrap();
    dir
}

#[test]
fn an_index_ahead_of_the_log_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    three_runs(dir.path());
    drop(open_index(dir.path()).unwrap());
    // The last record vanishes from the log (lost before its fsync by a machine crash).
    let seg = segment(dir.path());
    let scan = exemplar_store::segment::scan(&seg).unwrap();
    let last = scan.records.last().unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(last.offset)
        .unwrap();
    let ix = open_index(dir.path()).unwrap();
    assert!(ix.rebuilt);
    let c = ix.find_run("run-c").unwrap();
    assert_eq!(
        ix.outcomes(&c.run_id).unwrap().len(),
        0,
        "the lost outcome is gone from the index"
    );
}

/// A compact result of test `reference` in mission `kv`.
fn result(reference: &str, outcome: u8) -> (TestDef, TestResult) {
    let def = TestDef::new("kv", reference, "kv", 7, &["S1".to_owned()]);
    let r = TestResult {
        test: def.id,
        outcome,
        duration: 0.5,
        message: None,
        output: None,
    };
    (def, r)
}

#[test]
fn a_steady_run_costs_at_most_64_bytes_per_outcome_and_reads_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let tests: Vec<String> = (0..500).map(|i| format!("tests/kv.rs::t{i}")).collect();
    let mut sizes = Vec::new();
    for run in ["r1", "r2"] {
        let mut w = writer(dir.path());
        w.append(&start(run, 1, "c")).unwrap();
        for (i, t) in tests.iter().enumerate() {
            let (def, r) = result(t, (i % 7 == 0) as u8);
            w.append_result(&r, || def.clone()).unwrap();
        }
        w.append(&end(run, 2, 0.1)).unwrap();
        w.close().unwrap();
        sizes.push(std::fs::metadata(segment(dir.path())).unwrap().len());
    }
    // The second run defines no test again: what it adds is its results and its two ends.
    let per_outcome = (sizes[1] - sizes[0]) as f64 / tests.len() as f64;
    assert!(per_outcome <= 64.0 + 2.0, "{per_outcome} bytes per outcome");
    let ix = open_index(dir.path()).unwrap();
    let outcomes = ix.outcomes("r2").unwrap();
    assert_eq!(outcomes.len(), 500);
    let t7 = outcomes
        .iter()
        .find(|o| o.reference == "tests/kv.rs::t7")
        .unwrap();
    assert_eq!(
        (t7.run_id.as_str(), t7.mission.as_str(), t7.outcome, t7.line),
        ("r2", "kv", 1, 7)
    );
    assert_eq!((t7.duration, t7.ids.clone()), (0.5, vec!["S1".to_owned()]));
    assert_eq!(ix.test_history("t7").unwrap().len(), 2);
}

#[test]
fn a_journal_of_the_first_format_is_read_and_continued_in_a_new_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path());
    w.append(&start("old", 1, "c")).unwrap();
    w.append(&outcome("old", "tests/kv.rs::wal", 1)).unwrap();
    w.append(&end("old", 2, 1.0)).unwrap();
    w.close().unwrap();
    // Make its segment what a journal of format 1.0 wrote.
    let seg = segment(dir.path());
    let mut data = std::fs::read(&seg).unwrap();
    let mut header = exemplar_store::format::Header::decode(&data).unwrap();
    header.major = 1;
    data[..64].copy_from_slice(&header.encode());
    std::fs::write(&seg, &data).unwrap();
    std::fs::remove_file(dir.path().join("index.redb")).unwrap();

    let mut w = writer(dir.path());
    w.append(&start("new", 3, "c")).unwrap();
    let (def, r) = result("tests/kv.rs::wal", 0);
    w.append_result(&r, || def.clone()).unwrap();
    w.append(&end("new", 4, 0.0)).unwrap();
    w.close().unwrap();
    let segments = exemplar_store::wal::segments(&dir.path().join("wal")).unwrap();
    assert_eq!(
        segments.len(),
        2,
        "format 2 records go to a segment of their own"
    );
    let old = exemplar_store::format::Header::decode(&std::fs::read(&segments[0].1).unwrap());
    assert_eq!(old.unwrap().major, 1, "the old segment is left as it was");
    exemplar_store::verify(dir.path()).unwrap();

    let ix = open_index(dir.path()).unwrap();
    let history: Vec<(String, u8)> = ix
        .test_history("wal")
        .unwrap()
        .into_iter()
        .map(|p| (p.run_id, p.outcome.outcome))
        .collect();
    assert_eq!(history, vec![("old".into(), 1), ("new".into(), 0)]);
}

#[test]
fn results_after_a_gap_belong_to_no_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path());
    w.append(&start("r", 1, "c")).unwrap();
    let (def, r) = result("tests/kv.rs::a", 0);
    w.append_result(&r, || def.clone()).unwrap();
    w.append(&exemplar_store::Record::Gap(exemplar_store::records::Gap {
        from: 1,
        to: 1,
        reason: "lost".into(),
    }))
    .unwrap();
    let (def, r) = result("tests/kv.rs::b", 0);
    w.append_result(&r, || def.clone()).unwrap();
    w.close().unwrap();
    let ix = open_index(dir.path()).unwrap();
    let refs: Vec<String> = ix
        .outcomes("r")
        .unwrap()
        .into_iter()
        .map(|o| o.reference)
        .collect();
    assert_eq!(refs, vec!["tests/kv.rs::a".to_owned()]);
}

#[test]
fn an_empty_segment_of_the_first_format_gives_way_to_a_new_one() {
    // What a run that never executed a test left under format 1.0: a segment, header only.
    let dir = tempfile::tempdir().unwrap();
    writer(dir.path()).close().unwrap();
    let seg = segment(dir.path());
    let data = std::fs::read(&seg).unwrap();
    assert_eq!(data.len(), 64, "header only");
    let mut header = exemplar_store::format::Header::decode(&data).unwrap();
    header.major = 1;
    std::fs::write(&seg, header.encode()).unwrap();

    let mut w = writer(dir.path());
    w.append(&start("r", 1, "c")).unwrap();
    let (def, r) = result("tests/kv.rs::wal", 0);
    w.append_result(&r, || def.clone()).unwrap();
    w.close().unwrap();
    exemplar_store::verify(dir.path()).unwrap();
    let segments = exemplar_store::wal::segments(&dir.path().join("wal")).unwrap();
    assert_eq!(segments.len(), 1);
    let now = exemplar_store::format::Header::decode(&std::fs::read(&segments[0].1).unwrap());
    assert_eq!(now.unwrap().major, exemplar_store::format::MAJOR);
    assert_eq!(
        open_index(dir.path()).unwrap().outcomes("r").unwrap().len(),
        1
    );
}
