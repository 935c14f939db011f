//! One record per test: made by the runner when a test ends (or is filtered out), appended to
//! the journal, folded into the mission's signal, and shown by every report.

use serde::{Deserialize, Serialize};

use crate::Outcome;
use crate::events::Plan;

/// A test, as one run saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestRecord {
    /// Package name.
    pub package: String,
    /// Mission id.
    pub mission: String,
    /// Test target (binary) name.
    pub binary: String,
    /// libtest name (`module::function`).
    pub name: String,
    /// `tests/kv.rs::wal_ordering`: the source file relative to the package, and the name.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Source file, relative to the package.
    pub file: String,
    /// Line of the function (0 when unknown).
    pub line: u32,
    /// Design ids (empty: untagged).
    pub ids: Vec<String>,
    /// What the run meant to do with it.
    pub plan: Plan,
    /// How it ended; `None` when it did not run (filtered out).
    pub outcome: Option<Outcome>,
    /// Seconds.
    pub duration: f64,
    /// Failure message, whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Captured output, whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

/// The line of a failure message that says what went wrong: the assertion or panic text,
/// not the `test panicked at file:line:col:` line before it. Views that show one line show
/// this one.
pub fn headline(message: &str) -> &str {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let is_location = first.starts_with("test panicked at") || first.contains("' panicked at");
    match (is_location, lines.next()) {
        (true, Some(next)) => next,
        _ => first,
    }
}

#[cfg(test)]
mod tests {
    use super::headline;

    #[test]
    fn the_headline_is_the_assertion_not_the_location() {
        let m = "test panicked at tests/kv.rs:12:5:\nassertion `left == right` failed\n  left: 1\n right: 2";
        assert_eq!(headline(m), "assertion `left == right` failed");
        assert_eq!(
            headline("Error: \"the store refused\""),
            "Error: \"the store refused\""
        );
        assert_eq!(
            headline("test panicked at a.rs:1:1:"),
            "test panicked at a.rs:1:1:"
        );
        assert_eq!(headline(""), "");
    }
}
