//! Helpers shared by the journal's tests.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use exemplar_store::records::{MissionLoss, NodeLoss, Outcome, RunEnd, RunStart};
use exemplar_store::{Contention, JournalWriter, Record, WriterOptions};

pub fn opts() -> WriterOptions {
    WriterOptions {
        batch_max_records: 64,
        batch_max_wait: Duration::from_millis(1),
        ..WriterOptions::default()
    }
}

pub fn writer(dir: &Path) -> JournalWriter {
    JournalWriter::open(dir, Contention::Fail, opts(), &mut |_| {}).unwrap()
}

pub fn start(run: &str, at: i64, commit: &str) -> Record {
    Record::RunStart(RunStart {
        scope: None,
        run_id: run.into(),
        started_at: at,
        commit: Some(commit.into()),
        note: None,
        missions: vec![exemplar_store::records::MissionStamp {
            mission: "kv".into(),
            package: "kv".into(),
            nodes: vec![exemplar_store::records::NodeStamp {
                id: "S1".into(),
                fingerprint: format!("fp-{commit}"),
            }],
            design: None,
        }],
    })
}

pub fn outcome(run: &str, reference: &str, outcome: u8) -> Record {
    Record::Outcome(Outcome {
        run_id: run.into(),
        mission: "kv".into(),
        reference: reference.into(),
        ids: vec!["S1".into()],
        outcome,
        duration: 0.01,
        message: None,
        output: None,
        binary: "kv".into(),
        line: 7,
    })
}

pub fn end(run: &str, at: i64, loss: f64) -> Record {
    Record::RunEnd(RunEnd {
        run_id: run.into(),
        ended_at: at,
        counts: vec![1, 0, 0, 0, 0],
        losses: vec![MissionLoss {
            mission: "kv".into(),
            loss,
            nodes: vec![NodeLoss {
                id: "S1".into(),
                loss,
            }],
        }],
        other_shards: Vec::new(),
    })
}

/// Every record of the journal, in order.
pub fn all_records(dir: &Path) -> Vec<(u64, Record)> {
    let mut out = Vec::new();
    exemplar_store::wal::read_from(&dir.join("wal"), 1, None, &mut |scan, loc| {
        if let Some(r) = Record::decode(loc.kind, loc.seq, scan.payload(loc)).unwrap() {
            out.push((loc.seq, r));
        }
        Ok(())
    })
    .unwrap();
    out
}

/// The only segment file.
pub fn segment(dir: &Path) -> std::path::PathBuf {
    let segs = exemplar_store::wal::segments(&dir.join("wal")).unwrap();
    segs.last().unwrap().1.clone()
}

/// A tiny deterministic generator (xorshift), seeded and printed by each test.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

pub fn seed() -> u64 {
    let s = std::env::var("EXEMPLAR_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("seed: {s} (EXEMPLAR_SEED={s} reproduces)");
    s
}
