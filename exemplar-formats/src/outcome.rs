//! How a test ended, and the counts of a run by outcome.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A test's outcome: in the harness protocol (which sends only `passed` and `failed`), the
/// journal, the mission file's `signal:` and every report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Ran and passed.
    Passed,
    /// Ran and failed (panic, `Err`, or a `should_panic` that did not).
    Failed,
    /// Not run (`#[ignore]`): not evidence.
    Ignored,
    /// Its process died while it ran.
    Crashed,
    /// Ran past the timeout and was killed.
    Timeout,
    /// Compiled into a test binary, but no harness runs it: a `#[test]` in a `harness = false`
    /// target, or a `#[design]` function that is not a test of its binary's harness. Failing:
    /// a test that exists and never runs is not evidence that anything works.
    Stranded,
    /// Failed, then passed when run again in a fresh process (`--retries`). Not a failure of
    /// the run (unless `--flaky-result fail`), but never clean evidence for a directive.
    Flaky,
}

impl Outcome {
    /// Every outcome, in code order.
    pub const ALL: [Outcome; 7] = [
        Outcome::Passed,
        Outcome::Failed,
        Outcome::Ignored,
        Outcome::Crashed,
        Outcome::Timeout,
        Outcome::Stranded,
        Outcome::Flaky,
    ];

    /// The word used in files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Ignored => "ignored",
            Outcome::Crashed => "crashed",
            Outcome::Timeout => "timeout",
            Outcome::Stranded => "stranded",
            Outcome::Flaky => "flaky",
        }
    }

    /// The outcome's number on disk: passed 0, failed 1, ignored 2, crashed 3, timeout 4,
    /// stranded 5, flaky 6.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The outcome with number `code` (see [`Outcome::code`]).
    pub fn from_code(code: u8) -> Option<Outcome> {
        Outcome::ALL.get(code as usize).copied()
    }

    /// The word of the outcome numbered `code`, or `?` for a code this version does not know.
    pub fn word_of_code(code: u8) -> &'static str {
        Outcome::from_code(code).map_or("?", Outcome::as_str)
    }

    /// Failed, crashed, timeout or stranded.
    pub fn is_failing(self) -> bool {
        matches!(
            self,
            Outcome::Failed | Outcome::Crashed | Outcome::Timeout | Outcome::Stranded
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s).ok_or(())
    }
}

/// How many tests ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Passed.
    pub passed: u64,
    /// Failed.
    pub failed: u64,
    /// Ignored.
    pub ignored: u64,
    /// Crashed.
    pub crashed: u64,
    /// Timed out.
    pub timeout: u64,
    /// Compiled but run by no harness.
    #[serde(default)]
    pub stranded: u64,
    /// Failed, then passed on a retry.
    #[serde(default)]
    pub flaky: u64,
}

impl OutcomeCounts {
    /// Count one more `outcome`.
    pub fn add(&mut self, outcome: Outcome) {
        *self.slot(outcome) += 1;
    }

    /// Count a test that was counted `from` as `to` instead (a retry changed its outcome).
    pub fn recount(&mut self, from: Outcome, to: Outcome) {
        let slot = self.slot(from);
        *slot = slot.saturating_sub(1);
        self.add(to);
    }

    /// The count of `outcome`.
    pub fn get(&self, outcome: Outcome) -> u64 {
        match outcome {
            Outcome::Passed => self.passed,
            Outcome::Failed => self.failed,
            Outcome::Ignored => self.ignored,
            Outcome::Crashed => self.crashed,
            Outcome::Timeout => self.timeout,
            Outcome::Stranded => self.stranded,
            Outcome::Flaky => self.flaky,
        }
    }

    fn slot(&mut self, outcome: Outcome) -> &mut u64 {
        match outcome {
            Outcome::Passed => &mut self.passed,
            Outcome::Failed => &mut self.failed,
            Outcome::Ignored => &mut self.ignored,
            Outcome::Crashed => &mut self.crashed,
            Outcome::Timeout => &mut self.timeout,
            Outcome::Stranded => &mut self.stranded,
            Outcome::Flaky => &mut self.flaky,
        }
    }

    /// Failed, crashed, timed out and stranded together.
    pub fn failing(&self) -> u64 {
        self.failed + self.crashed + self.timeout + self.stranded
    }

    /// Tests that executed (all but the ignored and the stranded).
    pub fn executed(&self) -> u64 {
        self.passed + self.failed + self.crashed + self.timeout + self.flaky
    }

    /// The counts in code order, as the journal stores them.
    pub fn to_codes(&self) -> Vec<u64> {
        Outcome::ALL.iter().map(|o| self.get(*o)).collect()
    }

    /// Counts stored in code order; `None` unless there are five (written before `stranded`
    /// existed), six (before `flaky`) or seven.
    pub fn from_codes(codes: &[u64]) -> Option<OutcomeCounts> {
        if !(5..=Outcome::ALL.len()).contains(&codes.len()) {
            return None;
        }
        let mut c = OutcomeCounts::default();
        for (o, n) in Outcome::ALL.iter().zip(codes) {
            *c.slot(*o) = *n;
        }
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_words_and_counts_agree() {
        for (i, o) in Outcome::ALL.into_iter().enumerate() {
            assert_eq!(o.code() as usize, i);
            assert_eq!(Outcome::from_code(o.code()), Some(o));
            assert_eq!(o.as_str().parse::<Outcome>(), Ok(o));
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.as_str())
            );
        }
        assert_eq!(Outcome::from_code(7), None);
        assert_eq!(Outcome::word_of_code(9), "?");
        let mut c = OutcomeCounts::default();
        for o in [
            Outcome::Passed,
            Outcome::Passed,
            Outcome::Crashed,
            Outcome::Ignored,
        ] {
            c.add(o);
        }
        assert_eq!((c.passed, c.failing(), c.executed()), (2, 1, 3));
        assert_eq!(c.to_codes(), [2, 0, 1, 1, 0, 0, 0]);
        assert_eq!(OutcomeCounts::from_codes(&c.to_codes()), Some(c));
        assert_eq!(
            OutcomeCounts::from_codes(&[2, 0, 1, 1, 0]),
            Some(c),
            "older journals"
        );
        c.add(Outcome::Stranded);
        assert_eq!((c.failing(), c.executed()), (2, 3));
        c.recount(Outcome::Crashed, Outcome::Flaky);
        assert_eq!((c.failing(), c.executed(), c.flaky), (1, 3, 1));
        assert_eq!(OutcomeCounts::from_codes(&[1, 2]), None);
    }
}
