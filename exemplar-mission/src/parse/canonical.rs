//! A fast reading of a `signal:` section exactly as the rewrite writes it.
//!
//! At 10,000 tests the signal is 1.5 of a mission file's 1.6 MB, and reading it through the
//! YAML parser with positions took 0.2 s of every run. The rewrite writes each entry in one
//! shape — `- id:`, `ref:`, `spec_ids: [...]`, `result: { outcome, duration, timestamp }`,
//! plain scalars only where they read back as themselves — so a section in that shape is read
//! line by line here. Anything else (a comment, a quoted scalar, another indentation, a
//! duplicate) makes this reading give up, and the whole file is read by the YAML parser, whose
//! errors carry their positions.

use std::collections::HashSet;
use std::str::FromStr;

use crate::model::{Outcome, SignalEntry, SignalResult, TestId};
use crate::parse::is_rfc3339;
use crate::render::{Ctx, is_plain_safe};

/// The entries of `section` (the lines after `signal:`), when every line is in the shape the
/// rewrite writes and no id or ref repeats; `None` otherwise.
pub(super) fn signal(section: &str) -> Option<Vec<SignalEntry>> {
    let mut out: Vec<SignalEntry> = Vec::new();
    let (mut ids, mut refs) = (HashSet::new(), HashSet::new());
    let mut lines = section.lines().peekable();
    while let Some(line) = lines.next() {
        let id = TestId::from_str(line.strip_prefix("  - id: ")?).ok()?;
        let reference = lines.next()?.strip_prefix("    ref: ")?;
        if !is_plain_safe(reference, Ctx::Block) {
            return None;
        }
        let spec_ids = flow_list(lines.next()?.strip_prefix("    spec_ids: ")?)?;
        let result = match lines.peek().and_then(|l| l.strip_prefix("    result: ")) {
            Some(r) => {
                lines.next();
                Some(result(r)?)
            }
            None => None,
        };
        if !ids.insert(id) || !refs.insert(reference) {
            return None;
        }
        out.push(SignalEntry {
            id,
            reference: reference.to_owned(),
            spec_ids,
            result,
        });
    }
    Some(out)
}

/// `[S1, S2]` of plain scalars.
fn flow_list(text: &str) -> Option<Vec<String>> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    inner
        .split(", ")
        .map(|s| is_plain_safe(s, Ctx::Flow).then(|| s.to_owned()))
        .collect()
}

/// `{ outcome: passed, duration: 0.5, timestamp: 2026-01-01T00:00:00Z }`.
fn result(text: &str) -> Option<SignalResult> {
    let inner = text.strip_prefix("{ ")?.strip_suffix(" }")?;
    let mut parts = inner.split(", ");
    let outcome = Outcome::from_str(parts.next()?.strip_prefix("outcome: ")?).ok()?;
    let duration: f64 = parts.next()?.strip_prefix("duration: ")?.parse().ok()?;
    let timestamp = parts.next()?.strip_prefix("timestamp: ")?;
    let shaped = duration.is_finite() && duration >= 0.0 && is_rfc3339(timestamp);
    (shaped && parts.next().is_none() && is_plain_safe(timestamp, Ctx::Flow)).then(|| {
        SignalResult {
            outcome,
            duration,
            timestamp: timestamp.to_owned(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rewrite_s_shape_is_read_and_anything_else_is_not() {
        let section = "  - id: T0\n    ref: tests/kv.rs::wal\n    spec_ids: [S1, S3]\n    result: { outcome: failed, duration: 0.25, timestamp: 2026-01-01T00:00:00.5Z }\n  - id: T1\n    ref: tests/kv.rs::never_ran\n    spec_ids: []\n";
        let s = signal(section).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].spec_ids, ["S1", "S3"]);
        let r = s[0].result.as_ref().unwrap();
        assert_eq!((r.outcome, r.duration), (Outcome::Failed, 0.25));
        assert_eq!(s[1].result, None);
        for other in [
            section.replace("ref: tests/kv.rs::wal", "ref: \"tests/kv.rs::wal\""),
            section.replace("  - id: T1", "  # a comment\n  - id: T1"),
            section.replace("[S1, S3]", "[S1,S3]"),
            section.replace("T1", "T0"),
            section.replace("duration: 0.25", "duration: -1.0"),
            section.replace("2026-01-01T00:00:00.5Z", "yesterday"),
            section.replace("failed", "exploded"),
            section.replace("never_ran", "wal"),
        ] {
            assert_eq!(signal(&other), None, "{other}");
        }
        assert_eq!(signal(""), Some(Vec::new()));
    }
}
