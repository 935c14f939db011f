//! Keeping the index file tight. redb reuses the pages a transaction frees, but the file
//! never shrinks by itself: a catch-up of many records (a rebuild, a large run) leaves it
//! larger than what it holds. After a catch-up that applied records, the file is compacted
//! when it has grown by a quarter since it was last compacted (and is over 16 MiB): the size
//! check is one `stat`, and the compaction's cost (about 70 ms for a 130 MB index) is paid
//! once per quarter of growth.

use super::{Index, META, db_err};
use crate::errors::Result;

/// Growth since the last compaction that calls for another.
const GROWTH: f64 = 1.25;
/// Files below this are left as they are.
const FLOOR: u64 = 16 << 20;
/// META key: the file size past which the next compaction runs (u64, little endian).
const KEY: &str = "compact_at";

impl Index {
    /// Compact the file when it has outgrown the size noted at the last compaction. Failing
    /// to compact, or to note the size, is not an error: the index stays valid, only larger.
    pub(super) fn compact_if_grown(&mut self) {
        // Any failure here (a full disk while noting the size, say) leaves a valid index:
        // it must not be taken for damage, which would rebuild it.
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.compact_if_grown_past(FLOOR)
        }));
        let _ = attempt;
    }

    /// [`Index::compact_if_grown`] with the floor as a parameter; whether it compacted.
    fn compact_if_grown_past(&mut self, floor: u64) -> Result<bool> {
        let len = file_len(self);
        if len < floor || len < self.compact_at()? {
            return Ok(false);
        }
        if self.db.compact().is_err() {
            return Ok(false);
        }
        // Noting the size is a commit of its own, which may take a page at the file's end:
        // the size noted is the one after it.
        self.note_compact_at(u64::MAX)?;
        let next = ((file_len(self) as f64 * GROWTH) as u64).max(floor);
        self.note_compact_at(next)?;
        Ok(true)
    }

    fn note_compact_at(&self, at: u64) -> Result<()> {
        let p = &self.path;
        let tx = tri!(p, self.db.begin_write());
        {
            let mut t = tri!(p, tx.open_table(META));
            tri!(p, t.insert(KEY, &at.to_le_bytes()[..]));
        }
        tri!(p, tx.commit());
        Ok(())
    }

    /// The size noted at the last compaction (0: never compacted).
    fn compact_at(&self) -> Result<u64> {
        let p = &self.path;
        let tx = tri!(p, redb::ReadableDatabase::begin_read(&self.db));
        let t = match tx.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
            Err(e) => return Err(db_err(p)(e)),
        };
        Ok(tri!(p, t.get(KEY))
            .and_then(|v| Some(u64::from_le_bytes(v.value().get(0..8)?.try_into().ok()?)))
            .unwrap_or(0))
    }
}

fn file_len(ix: &Index) -> u64 {
    std::fs::metadata(&ix.path).map_or(0, |m| m.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Record, RunEnd, RunStart, TestDef, TestResult};
    use crate::{Contention, JournalWriter, WriterOptions};

    /// Runs `r{n}` of 300 tests for each n of `runs`,, a third failing in every other run.
    fn journal(dir: &std::path::Path, runs: std::ops::Range<usize>) {
        let opts = WriterOptions {
            sync: false,
            ..WriterOptions::default()
        };
        let mut w = JournalWriter::open(dir, Contention::Fail, opts, &mut |_| {}).unwrap();
        for run in runs {
            let id = format!("r{run}");
            w.append(&Record::RunStart(RunStart {
                scope: None,
                run_id: id.clone(),
                started_at: run as i64,
                commit: Some("c".into()),
                note: None,
                missions: Vec::new(),
            }))
            .unwrap();
            for t in 0..300 {
                let def = TestDef::new("kv", &format!("t{t}"), "kv", 1, &["S1".to_owned()]);
                let r = TestResult {
                    test: def.id,
                    outcome: u8::from(run % 2 == 1 && t % 3 == 0),
                    duration: 0.1,
                    message: None,
                    output: None,
                };
                w.append_result(&r, || def.clone()).unwrap();
            }
            w.append(&Record::RunEnd(RunEnd {
                run_id: id,
                ended_at: run as i64,
                counts: vec![300, 0, 0, 0, 0],
                losses: Vec::new(),
                other_shards: Vec::new(),
            }))
            .unwrap();
        }
        w.close().unwrap();
    }

    fn answers(ix: &Index, runs: usize) -> Vec<Vec<(String, u8)>> {
        (0..runs)
            .map(|r| {
                let mut v: Vec<(String, u8)> = ix
                    .outcomes(&format!("r{r}"))
                    .unwrap()
                    .into_iter()
                    .map(|o| (o.reference, o.outcome))
                    .collect();
                v.sort();
                v
            })
            .collect()
    }

    #[test]
    fn a_grown_file_is_compacted_once_per_growth_and_answers_the_same() {
        let dir = tempfile::tempdir().unwrap();
        journal(dir.path(), 0..12);
        let mut ix = Index::open(dir.path()).unwrap();
        let before = answers(&ix, 12);
        assert_eq!(before[1].iter().filter(|(_, o)| *o == 1).count(), 100);
        // Below the floor: left as it is, nothing noted.
        let len = file_len(&ix);
        assert!(!ix.compact_if_grown_past(len + 1).unwrap());
        assert_eq!(ix.compact_at().unwrap(), 0);
        // Past it: compacted, and the size that calls for the next compaction noted.
        assert!(ix.compact_if_grown_past(0).unwrap());
        assert!(ix.compact_at().unwrap() > file_len(&ix));
        assert_eq!(answers(&ix, 12), before);
        // Not grown since: not compacted again.
        assert!(!ix.compact_if_grown_past(0).unwrap());
        drop(ix);
        // Reopened, caught up with more runs, it answers for all of them.
        journal(dir.path(), 12..14);
        let ix = Index::open(dir.path()).unwrap();
        assert_eq!(&answers(&ix, 12)[..], &before[..]);
        assert_eq!(answers(&ix, 14).len(), 14);
    }
}
