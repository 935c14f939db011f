//! The flaky scan, kept up to date: for each clean commit, the outcome code of every test in
//! each of the commit's runs, in one value. `flaky` reads these values, not the runs' results.
//!
//! A value is the commit's runs (their count, then the sequence of each start, u64 LE, in run
//! order), then per test its id (u64 LE) and one code per run ([`ABSENT`] where the run did not
//! run it). A run's results may arrive over several batches: they fill its column.

use std::collections::BTreeMap;

/// The code of a test a run of the commit did not run.
pub(crate) const ABSENT: u8 = u8::MAX;

/// A commit's runs and each test's code in each of them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CommitCodes {
    /// The sequence of each run's start, in run order.
    pub(crate) runs: Vec<u64>,
    /// Test id → its code in each run.
    pub(crate) tests: BTreeMap<u64, Vec<u8>>,
}

impl CommitCodes {
    /// Decode a stored value; a damaged one reads as empty (the index is rebuilt from the log
    /// when in doubt, and this is derived data).
    pub(crate) fn decode(b: &[u8]) -> CommitCodes {
        Self::try_decode(b).unwrap_or_default()
    }

    fn try_decode(b: &[u8]) -> Option<CommitCodes> {
        let u64_at = |at: usize| Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?));
        let n = u16::from_le_bytes(b.get(0..2)?.try_into().ok()?) as usize;
        let runs = (0..n)
            .map(|i| u64_at(2 + 8 * i))
            .collect::<Option<Vec<_>>>()?;
        let mut tests = BTreeMap::new();
        let mut at = 2 + 8 * n;
        while at < b.len() {
            let id = u64_at(at)?;
            let codes = b.get(at + 8..at + 8 + n)?.to_vec();
            tests.insert(id, codes);
            at += 8 + n;
        }
        Some(CommitCodes { runs, tests })
    }

    /// From a stored value, without decoding the rest: the runs, and the tests whose codes
    /// (other than absent and `ignore`) differ, each with its codes. Empty when the commit has
    /// fewer than two runs or the value is damaged.
    pub(crate) fn differing(b: &[u8], ignore: u8) -> (Vec<u64>, Vec<(u64, &[u8])>) {
        let none = (Vec::new(), Vec::new());
        let Some(n) = b
            .get(0..2)
            .map(|h| u16::from_le_bytes([h[0], h[1]]) as usize)
        else {
            return none;
        };
        let u64_at = |at: usize| Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?));
        let Some(runs) = (0..n)
            .map(|i| u64_at(2 + 8 * i))
            .collect::<Option<Vec<_>>>()
        else {
            return none;
        };
        if n < 2 {
            return none;
        }
        let mut out = Vec::new();
        let mut at = 2 + 8 * n;
        while let (Some(id), Some(codes)) = (u64_at(at), b.get(at + 8..at + 8 + n)) {
            let mut seen = codes.iter().filter(|c| **c != ABSENT && **c != ignore);
            if let Some(first) = seen.next()
                && seen.any(|c| c != first)
            {
                out.push((id, codes));
            }
            at += 8 + n;
        }
        (runs, out)
    }

    /// The stored value.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let n = self.runs.len();
        let mut out = Vec::with_capacity(2 + 8 * n + self.tests.len() * (8 + n));
        out.extend_from_slice(&(n as u16).to_le_bytes());
        for r in &self.runs {
            out.extend_from_slice(&r.to_le_bytes());
        }
        for (id, codes) in &self.tests {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(codes);
        }
        out
    }

    /// Note that test `id` came to `code` in the run started at `run` (the last code of a test
    /// in a run wins). A run not seen before gets its column in run order; runs beyond
    /// `u16::MAX` of one commit are not tracked.
    pub(crate) fn set(&mut self, run: u64, id: u64, code: u8) {
        let col = match self.runs.binary_search(&run) {
            Ok(c) => c,
            Err(c) if self.runs.len() < u16::MAX as usize => {
                self.runs.insert(c, run);
                for codes in self.tests.values_mut() {
                    codes.insert(c, ABSENT);
                }
                c
            }
            Err(_) => return,
        };
        let n = self.runs.len();
        let codes = self.tests.entry(id).or_insert_with(|| vec![ABSENT; n]);
        codes[col] = code;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fill_a_column_per_run_and_round_trip() {
        let mut c = CommitCodes::default();
        c.set(10, 7, 0);
        c.set(10, 8, 1);
        c.set(20, 7, 1);
        c.set(10, 8, 0);
        c.set(5, 8, 2);
        assert_eq!(c.runs, vec![5, 10, 20], "columns in run order");
        assert_eq!(c.tests[&7], vec![ABSENT, 0, 1]);
        assert_eq!(c.tests[&8], vec![2, 0, ABSENT]);
        assert_eq!(CommitCodes::decode(&c.encode()), c);
        assert_eq!(
            CommitCodes::decode(&c.encode()[..5]),
            CommitCodes::default()
        );
    }
}
