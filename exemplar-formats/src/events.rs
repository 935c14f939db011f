//! The event protocol between a test binary and `cargo exemplar`.
//!
//! `cargo exemplar` sets `EXEMPLAR_EVENTS` to the path of a file; the harness appends one JSON
//! object per line to it, each written whole with a single `write`, so a line is either
//! complete or absent even when the process dies:
//!
//! 1. `{"event":"inventory","protocol":1,"tests":[...]}`: every registered test with its ids,
//!    path, file, line, whether it is ignored, and its plan in this run (run, ignored, filtered).
//! 2. `{"event":"started","name":...}` when a test begins.
//! 3. `{"event":"finished","name":...,"outcome":"passed"|"failed","duration":s,"message":...}`.
//!
//! Readers skip events they do not know, and refuse a newer major `protocol`.
//!
//! `EXEMPLAR_ONLY` (a file of test names, one per line) and `EXEMPLAR_DESIGN` (comma-separated
//! directive ids) narrow the run further; tests they exclude are planned `filtered`.
//! `EXEMPLAR_INVENTORY_ONLY=1` makes the harness write the inventory and exit.

use serde::{Deserialize, Serialize};

use crate::Outcome;

/// The protocol major version this crate speaks.
pub const PROTOCOL: u32 = 1;

/// Path of the events file.
pub const ENV_EVENTS: &str = "EXEMPLAR_EVENTS";
/// Path of a file listing the only tests to run, one name per line.
pub const ENV_ONLY: &str = "EXEMPLAR_ONLY";
/// Comma-separated design ids: run only tests linked to one of them.
pub const ENV_DESIGN: &str = "EXEMPLAR_DESIGN";
/// When set to `1`, the harness writes the inventory and exits without running anything.
pub const ENV_INVENTORY_ONLY: &str = "EXEMPLAR_INVENTORY_ONLY";

/// What the harness will do with a test in this run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// It will run.
    #[default]
    Run,
    /// It is `#[ignore]`d and will not run.
    Ignored,
    /// A filter excludes it.
    Filtered,
    /// `--partition` deals it to another shard of the run.
    #[serde(rename = "other-shard")]
    OtherShard,
}

/// A test as listed in the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestInfo {
    /// libtest name (`module::function`).
    pub name: String,
    /// Design ids.
    pub ids: Vec<String>,
    /// `module_path!()`.
    pub module_path: String,
    /// `file!()`.
    pub file: String,
    /// Line of the function.
    pub line: u32,
    /// `#[ignore]`.
    pub ignored: bool,
    /// `#[ignore = "reason"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_reason: Option<String>,
    /// Has `#[should_panic]`.
    #[serde(default)]
    pub should_panic: bool,
    /// What happens to it in this run.
    pub plan: Plan,
}

/// One line of the events file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Event {
    /// Every test of the binary.
    Inventory {
        /// [`PROTOCOL`] of the writer.
        protocol: u32,
        /// The version of the `exemplar` crate the binary was built with (absent from
        /// harnesses older than this field).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        /// The tests, in name order.
        tests: Vec<TestInfo>,
    },
    /// A test began.
    Started {
        /// Its name.
        name: String,
    },
    /// A test ended.
    Finished {
        /// Its name.
        name: String,
        /// `passed` or `failed`: crashes and timeouts are seen by the runner, which watches
        /// the process.
        outcome: Outcome,
        /// Seconds.
        duration: f64,
        /// The failure message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

/// Parse one line; `Ok(None)` for an event kind this version does not know.
pub fn parse_line(line: &str) -> Result<Option<Event>, serde_json::Error> {
    match serde_json::from_str::<Event>(line) {
        Ok(e) => Ok(Some(e)),
        Err(e) => {
            let v: serde_json::Value = serde_json::from_str(line)?;
            match v.get("event").and_then(|k| k.as_str()) {
                Some("inventory" | "started" | "finished") | None => Err(e),
                Some(_) => Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_events_are_skipped_and_known_ones_parse() {
        assert_eq!(parse_line(r#"{"event":"heartbeat","at":1}"#).unwrap(), None);
        let e = parse_line(r#"{"event":"started","name":"a","extra":true}"#).unwrap();
        assert_eq!(e, Some(Event::Started { name: "a".into() }));
        assert!(parse_line(r#"{"event":"started"}"#).is_err());
        assert!(parse_line("not json").is_err());
    }
}
