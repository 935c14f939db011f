//! Bundles: runs exported from one journal and imported into another arrive whole, once;
//! a damaged or newer bundle is refused with its offset, and nothing of it is imported.

mod common;

use common::{end, start, writer};
use exemplar_store::bundle::{self, BUNDLE_MAGIC};
use exemplar_store::records::{TestDef, TestResult};
use exemplar_store::{Contention, Record, StoreError, open_index};
use minicbor::bytes::ByteArray;

/// A journal with three runs; the second's result has a message blob; the third is a shard
/// whose end names a test of another shard.
fn journal(dir: &std::path::Path) {
    let mut w = writer(dir);
    let def = |reference: &str| TestDef::new("kv", reference, "kv", 7, &["S1".into()]);
    for (i, run) in ["r1", "r2", "r3"].iter().enumerate() {
        w.append(&start(run, 100 + i as i64, "abc")).unwrap();
        let message = (i == 1).then(|| ByteArray::from(w.put_blob(b"boom at kv.rs:9").unwrap()));
        let d = def("tests/kv.rs::a");
        let result = TestResult {
            test: d.id,
            outcome: u8::from(i == 1),
            duration: 0.5,
            message,
            output: None,
        };
        w.append_result(&result, || d.clone()).unwrap();
        let mut e = end(run, 200 + i as i64, 0.0);
        if let (2, Record::RunEnd(e)) = (i, &mut e) {
            let other = def("tests/kv.rs::b");
            e.other_shards.push(other.id);
            w.define_test(other).unwrap();
        }
        w.append(&e).unwrap();
    }
    w.flush().unwrap();
    w.close().unwrap();
}

/// (run, ref, outcome, message) of every outcome of a journal, by its index.
fn outcomes(dir: &std::path::Path) -> Vec<(String, String, u8, Option<String>)> {
    let ix = open_index(dir).unwrap();
    let mut out = Vec::new();
    for run in ["r1", "r2", "r3"] {
        if ix.run(run).unwrap().is_none() {
            continue;
        }
        for o in ix.outcomes(run).unwrap() {
            let message = o
                .message
                .as_ref()
                .and_then(|h| ix.blob_text(dir, h).unwrap());
            out.push((run.to_owned(), o.reference, o.outcome, message));
        }
    }
    out
}

#[test]
fn runs_move_between_journals_whole_and_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    journal(&a);
    let file = tmp.path().join("runs.exbundle");
    let some = ["r2".to_owned(), "r3".to_owned()];
    let report = bundle::write(&bundle::collect(&a, Some(&some)).unwrap(), &file).unwrap();
    assert_eq!(report.runs, ["r2", "r3"]);

    let read = bundle::read(&file).unwrap();
    let first = bundle::import(&b, &read, Contention::Fail).unwrap();
    assert_eq!(first.imported, ["r2", "r3"]);
    let want: Vec<_> = outcomes(&a).into_iter().filter(|o| o.0 != "r1").collect();
    assert_eq!(outcomes(&b), want);
    assert_eq!(
        want[0].3.as_deref(),
        Some("boom at kv.rs:9"),
        "the blob came along"
    );
    let ix = open_index(&b).unwrap();
    let r3 = ix.run("r3").unwrap().unwrap();
    assert!(r3.complete() && r3.other_shards.len() == 1, "{r3:?}");
    drop(ix);
    exemplar_store::verify(&b).unwrap();

    // Again: nothing changes.
    let records = common::all_records(&b).len();
    let again = bundle::import(&b, &read, Contention::Fail).unwrap();
    assert!(again.imported.is_empty());
    assert_eq!(again.present, ["r2", "r3"]);
    assert_eq!(common::all_records(&b).len(), records);

    // A run that is not there is named.
    let missing = bundle::collect(&a, Some(&["r9".to_owned()])).unwrap_err();
    assert!(missing.to_string().contains("no run r9"), "{missing}");
}

#[test]
fn a_damaged_or_newer_bundle_is_refused_with_its_offset_and_imports_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    journal(&a);
    let file = tmp.path().join("all.exbundle");
    bundle::write(&bundle::collect(&a, None).unwrap(), &file).unwrap();
    let good = std::fs::read(&file).unwrap();
    assert_eq!(&good[..8], BUNDLE_MAGIC);

    // A flipped byte in the third frame's payload: refused at that frame's offset.
    let mut frames = Vec::new();
    let mut at = 64;
    while at < good.len() {
        frames.push(at);
        let len = u32::from_le_bytes(good[at..at + 4].try_into().unwrap()) as usize;
        at += exemplar_store::format::frame_len(len);
    }
    assert_eq!(at, good.len());
    let mut bad = good.clone();
    bad[frames[2] + 17] ^= 0x40;
    std::fs::write(&file, &bad).unwrap();
    match bundle::read(&file).unwrap_err() {
        StoreError::BundleDamaged { offset, .. } => assert_eq!(offset, frames[2] as u64),
        e => panic!("{e}"),
    }
    // Cut short: refused where the cut frame starts.
    std::fs::write(&file, &good[..good.len() - 5]).unwrap();
    match bundle::read(&file).unwrap_err() {
        StoreError::BundleDamaged { offset, .. } => {
            assert_eq!(offset, *frames.last().unwrap() as u64)
        }
        e => panic!("{e}"),
    }
    // Cut at a frame boundary (its end record gone): refused as cut short.
    std::fs::write(&file, &good[..*frames.last().unwrap()]).unwrap();
    match bundle::read(&file).unwrap_err() {
        StoreError::BundleDamaged { offset, detail, .. } => {
            assert_eq!(offset, *frames.last().unwrap() as u64);
            assert!(detail.contains("cut short"), "{detail}");
        }
        e => panic!("{e}"),
    }
    // A newer major format: refused with both versions.
    let mut newer = good.clone();
    newer[8..10].copy_from_slice(&(exemplar_store::format::MAJOR + 1).to_le_bytes());
    std::fs::write(&file, &newer).unwrap();
    let e = bundle::read(&file).unwrap_err();
    assert!(matches!(e, StoreError::NewerFormat { .. }), "{e}");
    // A journal segment is not a bundle.
    let segment = common::segment(&a);
    let e = bundle::read(&segment).unwrap_err();
    assert!(matches!(e, StoreError::NotABundle { .. }), "{e}");
    // The journal the bundle would have gone to was never created.
    assert!(!tmp.path().join("b").exists());
}

#[test]
fn a_run_a_cut_import_left_without_its_end_is_named_incomplete() {
    let from = tempfile::tempdir().unwrap();
    journal(from.path());
    let read = bundle::read(&{
        let file = from.path().join("all.exbundle");
        bundle::write(&bundle::collect(from.path(), None).unwrap(), &file).unwrap();
        file
    })
    .unwrap();
    // An import killed inside r2: its start and result are there, its end is not.
    let to = tempfile::tempdir().unwrap();
    let mut w = writer(to.path());
    let r2 = &read.runs[1];
    assert!(matches!(r2.records[0], Record::RunStart(_)));
    for def in &read.tests {
        w.define_test(def.clone()).unwrap();
    }
    for h in read.blobs.values() {
        w.put_blob(h).unwrap();
    }
    for r in &r2.records[..r2.records.len() - 1] {
        w.append(r).unwrap();
    }
    w.flush().unwrap();
    w.close().unwrap();
    let report = bundle::import(to.path(), &read, Contention::Fail).unwrap();
    assert_eq!(report.incomplete, ["r2"]);
    assert_eq!(report.imported, ["r1", "r3"]);
    assert!(report.present.is_empty());
    let ix = open_index(to.path()).unwrap();
    assert!(!ix.run("r2").unwrap().unwrap().complete());
}
