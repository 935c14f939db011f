//! The journal's recovery rules, each on its own: torn tails are truncated and reported,
//! damage followed by valid records is corruption (reported, never truncated, writes refused
//! until repair), sequence gaps are corruption, every bit flip is detected, every truncation
//! recovers to the last whole record, and a failed write stops the writer.

mod common;

use std::fs::OpenOptions;

use common::*;
use exemplar_store::{Contention, JournalWriter, StoreError};

fn journal_with(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut w = writer(dir.path());
    w.append(&start("r1", 100, "c1")).unwrap();
    for i in 0..n {
        w.append(&outcome("r1", &format!("t{i}"), 0)).unwrap();
    }
    w.close().unwrap();
    dir
}

#[test]
fn records_survive_close_and_reopen_in_order() {
    let dir = journal_with(100);
    let recs = all_records(dir.path());
    assert_eq!(recs.len(), 101);
    for (i, (seq, _)) in recs.iter().enumerate() {
        assert_eq!(*seq, i as u64 + 1);
    }
    // Appending continues the sequence.
    let mut w = writer(dir.path());
    let seq = w.append_durable(&end("r1", 200, 0.0)).unwrap();
    assert_eq!(seq, 102);
}

#[test]
fn a_torn_tail_is_truncated_and_reported() {
    let dir = journal_with(10);
    let seg = segment(dir.path());
    let len = std::fs::metadata(&seg).unwrap().len();
    // Cut the last record in half.
    OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - 20)
        .unwrap();
    let w = writer(dir.path());
    let (path, offset, dropped, reason) = w.recovery.truncated.clone().expect("reported");
    assert_eq!(path, seg);
    assert!(dropped > 0 && offset < len, "{offset} {dropped}");
    assert!(reason.contains("incomplete"), "{reason}");
    drop(w);
    assert_eq!(std::fs::metadata(&seg).unwrap().len(), offset);
    assert_eq!(
        all_records(dir.path()).len(),
        10,
        "the torn record is gone, the rest stay"
    );
}

#[test]
fn a_bad_checksum_at_the_end_is_a_torn_tail() {
    let dir = journal_with(10);
    let seg = segment(dir.path());
    let mut data = std::fs::read(&seg).unwrap();
    let n = data.len();
    data[n - 20] ^= 0x40;
    std::fs::write(&seg, &data).unwrap();
    let w = writer(dir.path());
    assert!(
        w.recovery
            .truncated
            .as_ref()
            .unwrap()
            .3
            .contains("checksum")
    );
}

#[test]
fn damage_followed_by_valid_records_is_corruption_and_is_never_truncated() {
    let dir = journal_with(50);
    let seg = segment(dir.path());
    let mut data = std::fs::read(&seg).unwrap();
    let middle = data.len() / 2;
    data[middle] ^= 0x01;
    std::fs::write(&seg, &data).unwrap();
    let before = std::fs::read(&seg).unwrap();
    let err = match JournalWriter::open(dir.path(), Contention::Fail, opts(), &mut |_| {}) {
        Err(e) => e,
        Ok(_) => panic!("a corrupted journal must refuse writes"),
    };
    let StoreError::Corrupt {
        segment: s,
        offset,
        detail,
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(s, &seg);
    assert!(
        *offset as usize <= middle && middle - (*offset as usize) < 200,
        "{offset} vs {middle}"
    );
    assert!(detail.contains("followed by a valid record"), "{detail}");
    assert!(err.to_string().contains("journal repair"), "{err}");
    assert_eq!(std::fs::read(&seg).unwrap(), before, "nothing is truncated");
    // A reader whose index is up to date answers from it (the index resumes where it left
    // the log); rebuilding the index from the log meets the damage.
    assert!(exemplar_store::open_index(dir.path()).is_ok());
    assert!(matches!(
        exemplar_store::Index::rebuild(dir.path()),
        Err(StoreError::Corrupt { .. })
    ));
    assert!(matches!(
        exemplar_store::verify(dir.path()),
        Err(StoreError::Corrupt { .. })
    ));

    // Repair moves the segment aside, keeps every valid record, records the loss as a gap.
    let rep = exemplar_store::repair(dir.path()).unwrap();
    assert_eq!(rep.moved.len(), 1);
    assert!(rep.moved[0].1.exists());
    assert_eq!(rep.kept, 50, "51 records, one damaged");
    assert_eq!(rep.lost.len(), 1);
    let recs = all_records(dir.path());
    assert_eq!(recs.len(), 51, "50 kept + 1 gap record");
    let mut w = writer(dir.path());
    w.append_durable(&end("r1", 300, 0.0)).unwrap();
    w.close().unwrap();
    exemplar_store::verify(dir.path()).unwrap();
}

#[test]
fn a_sequence_gap_between_segments_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts();
    o.segment_size = 4096;
    let mut w = JournalWriter::open(dir.path(), Contention::Fail, o, &mut |_| {}).unwrap();
    w.append(&start("r1", 100, "c")).unwrap();
    for i in 0..200 {
        w.append(&outcome("r1", &format!("a-fairly-long-test-name-{i}"), 0))
            .unwrap();
    }
    w.close().unwrap();
    let segs = exemplar_store::wal::segments(&dir.path().join("wal")).unwrap();
    assert!(
        segs.len() >= 3,
        "rotation at the size limit: {} segments",
        segs.len()
    );
    assert_eq!(
        all_records(dir.path()).len(),
        201,
        "records read across segments"
    );
    std::fs::remove_file(&segs[1].1).unwrap();
    let err = exemplar_store::verify(dir.path()).unwrap_err();
    assert!(err.to_string().contains("sequence gap"), "{err}");
    // Repair of the segment before the hole declares the lost range, and all reads work again.
    let rep = exemplar_store::repair(dir.path()).unwrap();
    assert_eq!(rep.lost.len(), 1);
    assert_eq!(rep.lost[0].0, segs[1].0);
    exemplar_store::verify(dir.path()).unwrap();
}

#[test]
fn every_bit_flip_is_detected() {
    let dir = journal_with(20);
    let seg = segment(dir.path());
    let clean = std::fs::read(&seg).unwrap();
    let mut rng = Rng(seed());
    for _ in 0..300 {
        let mut data = clean.clone();
        let byte = rng.below(data.len() as u64) as usize;
        data[byte] ^= 1 << rng.below(8);
        let scan = match exemplar_store::segment::scan_bytes(&seg, data) {
            Err(_) => continue, // header damage: detected as an error
            Ok(s) => s,
        };
        let intact = scan.records.len() == 21 && scan.end == exemplar_store::segment::End::Clean;
        // A flip in alignment padding changes no checked byte; anything else must show.
        let padding = is_padding(&clean, byte);
        assert!(!intact || padding, "flip at byte {byte} went unnoticed");
    }
}

/// Whether `byte` lies in the zero padding after a record's checksum.
fn is_padding(data: &[u8], byte: usize) -> bool {
    let mut off = exemplar_store::format::HEADER_LEN;
    while off < data.len() {
        let len = u32::from_le_bytes(data[off..off + 4].try_into().unwrap()) as usize;
        let used =
            off + exemplar_store::format::FRAME_HEAD + len + exemplar_store::format::CHECKSUM_LEN;
        let total = off + exemplar_store::format::frame_len(len);
        if byte >= used && byte < total {
            return true;
        }
        off = total;
    }
    false
}

#[test]
fn every_truncation_recovers_to_the_last_whole_record() {
    let dir = journal_with(15);
    let seg = segment(dir.path());
    let clean = std::fs::read(&seg).unwrap();
    let whole = exemplar_store::segment::scan_bytes(&seg, clean.clone()).unwrap();
    let ends: Vec<u64> = whole
        .records
        .iter()
        .map(|r| r.offset + r.len as u64)
        .collect();
    for cut in (exemplar_store::format::HEADER_LEN..clean.len()).step_by(3) {
        let scan = exemplar_store::segment::scan_bytes(&seg, clean[..cut].to_vec()).unwrap();
        let expected = ends.iter().filter(|e| **e <= cut as u64).count();
        assert_eq!(scan.records.len(), expected, "cut at {cut}");
        assert!(
            !matches!(scan.end, exemplar_store::segment::End::Corrupt { .. }),
            "cut at {cut}"
        );
    }
}

#[test]
fn a_failed_write_stops_the_writer_for_good() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let dir = journal_with(1);
    let seg = segment(dir.path());
    // Every write to /dev/full fails with ENOSPC.
    std::fs::remove_file(&seg).unwrap();
    std::os::unix::fs::symlink("/dev/full", &seg).unwrap();
    let recovery = exemplar_store::wal::Recovery {
        next_seq: 3,
        tail: Some((
            seg.clone(),
            exemplar_store::format::Header {
                major: exemplar_store::format::MAJOR,
                minor: 0,
                file_id: [0; 16],
                first_seq: 1,
                created_nanos: 0,
            },
            64,
        )),
        truncated: None,
    };
    let w =
        exemplar_store::writer::Writer::start(&dir.path().join("wal"), &recovery, opts()).unwrap();
    let err = w.append_durable(&outcome("r1", "t", 0)).unwrap_err();
    assert!(matches!(err, StoreError::WriterStopped { .. }), "{err}");
    // No retry: later appends are refused at once.
    let again = w.append(&outcome("r1", "u", 0)).unwrap_err();
    assert!(again.to_string().contains("stopped"), "{again}");
}
