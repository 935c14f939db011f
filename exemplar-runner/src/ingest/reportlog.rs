//! Reading a pytest report-log (`pytest --report-log=FILE`, the `pytest-reportlog` plugin):
//! one JSON object per line.
//!
//! A test's `TestReport`s (setup, call, teardown) make one [`ForeignCase`] under its node id:
//! it failed when any phase failed (a failing setup or teardown is said so in the message),
//! it was ignored when it was skipped or is an expected failure (`xfail`), and it passed
//! otherwise; its duration is the sum of its phases, its output the captured sections. Its
//! location gives its file and line; a `design` entry of its `user_properties` (pytest's
//! `record_property`) its ids.
//!
//! A module that fails to collect (`CollectReport` with outcome `failed`) is a failing case of
//! its own; its tests did not run, which [`super`] shows for each test the mission knew there.
//! A log without its `SessionFinish` was cut short (pytest was killed): it is read, and said
//! to be partial. A line that is not JSON is refused with its line and column.

use std::collections::HashMap;
use std::path::Path;

use exemplar_formats::Outcome;
use serde_json::Value;

use super::case::{ForeignCase, joined};
use super::markers::id_list;
use crate::errors::Error;

/// What a report-log holds.
#[derive(Debug, Default)]
pub struct ReportLog {
    /// Each test once, in the order it first appears.
    pub cases: Vec<ForeignCase>,
    /// Modules (node ids) that failed to collect, with why.
    pub uncollected: Vec<(String, String)>,
    /// The log ends with pytest's `SessionFinish`.
    pub finished: bool,
}

/// Read the report-log `text`, from `path` (for messages). A last line cut short (no newline
/// after it, not JSON) is a log cut short, not a damaged one.
pub fn read(path: &Path, text: &str) -> Result<ReportLog, Error> {
    let mut log = ReportLog::default();
    let mut at: HashMap<String, usize> = HashMap::new();
    // Whether each case's test is done: its call reported, or its setup skipped or failed.
    let mut done: Vec<bool> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(_) if n + 1 == lines.len() && !text.ends_with('\n') => break,
            Err(e) => {
                return Err(Error::BadReport {
                    path: path.to_owned(),
                    line: n as u64 + 1,
                    column: e.column() as u64,
                    detail: format!("not a pytest report-log line: {e}"),
                });
            }
        };
        match v["$report_type"].as_str() {
            Some("TestReport") => {
                let Some(id) = v["nodeid"].as_str() else {
                    continue;
                };
                let i = *at.entry(id.to_owned()).or_insert_with(|| {
                    log.cases.push(new_case(id, &v));
                    done.push(false);
                    log.cases.len() - 1
                });
                let when = v["when"].as_str().unwrap_or("call");
                done[i] |= when == "call" || (when == "setup" && v["outcome"] != "passed");
                phase(&mut log.cases[i], &v);
            }
            Some("CollectReport") if v["outcome"] == "failed" => {
                let id = v["nodeid"].as_str().unwrap_or_default().to_owned();
                log.uncollected.push((id, longrepr(&v["longrepr"])));
            }
            Some("SessionFinish") => log.finished = true,
            _ => {}
        }
    }
    for (case, done) in log.cases.iter_mut().zip(done) {
        if !done && case.outcome == Outcome::Passed {
            case.outcome = Outcome::Crashed;
            case.message = Some(
                "did not finish: the report-log holds its setup but no result of its call (was pytest killed while it ran?)".into(),
            );
        }
    }
    Ok(log)
}

/// A case for node id `id`, from its first report.
fn new_case(id: &str, v: &Value) -> ForeignCase {
    let name = id.split_once("::").map_or(id, |(_, n)| n);
    let mut case = ForeignCase::new("pytest", name);
    case.node_id = Some(id.to_owned());
    let loc = &v["location"];
    case.file = loc[0].as_str().map(str::to_owned);
    // pytest's location counts lines from 0.
    case.line = loc[1]
        .as_u64()
        .and_then(|l| u32::try_from(l).ok())
        .and_then(|l| l.checked_add(1));
    case
}

/// Fold one phase's report into its case.
fn phase(case: &mut ForeignCase, v: &Value) {
    let when = v["when"].as_str().unwrap_or("call");
    case.duration += v["duration"].as_f64().unwrap_or(0.0);
    if let Some(props) = v["user_properties"].as_array() {
        for p in props {
            if matches!(p[0].as_str(), Some("design" | "exemplar.design")) {
                let value = p[1].as_str().map(str::to_owned).unwrap_or_else(|| {
                    let list = p[1].as_array().cloned().unwrap_or_default();
                    let ids: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
                    ids.join(",")
                });
                case.design
                    .get_or_insert_with(Vec::new)
                    .extend(id_list(&value));
            }
        }
    }
    case.output = joined(&[case.output.take(), sections(v, when)]);
    let xfail = v.get("wasxfail").is_some();
    match (v["outcome"].as_str(), when) {
        (Some("failed"), "call") => fail(case, longrepr(&v["longrepr"])),
        (Some("failed"), phase) => fail(
            case,
            format!("error in {phase}: {}", longrepr(&v["longrepr"])),
        ),
        (Some("skipped"), _) if case.outcome != Outcome::Failed => {
            case.outcome = Outcome::Ignored;
            let why = longrepr(&v["longrepr"]);
            case.message = Some(match xfail {
                true => format!(
                    "expected to fail (xfail): {}",
                    v["wasxfail"].as_str().unwrap_or("")
                ),
                false => why,
            });
        }
        _ => {}
    }
}

fn fail(case: &mut ForeignCase, message: String) {
    if case.outcome != Outcome::Failed {
        case.outcome = Outcome::Failed;
        case.message = Some(message);
    }
}

/// The captured output sections of a phase (`Captured stdout call`, ...).
fn sections(v: &Value, _when: &str) -> Option<String> {
    let list = v["sections"].as_array()?;
    let parts: Vec<Option<String>> = list
        .iter()
        .filter_map(|s| Some((s[0].as_str()?, s[1].as_str()?)))
        .filter(|(_, body)| !body.trim().is_empty())
        .map(|(title, body)| Some(format!("--- {title} ---\n{body}")))
        .collect();
    joined(&parts)
}

/// A failure's text, however pytest serialized it: a string, a `[path, line, reason]` of a
/// skip, or a dict with the crash and the traceback's lines.
fn longrepr(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.len() == 3 => a[2].as_str().unwrap_or_default().to_owned(),
        Value::Object(o) => {
            let mut lines: Vec<String> = Vec::new();
            if let Some(entries) = o
                .get("reprtraceback")
                .and_then(|t| t["reprentries"].as_array())
            {
                for e in entries {
                    let data = &e["data"];
                    for l in data["lines"].as_array().into_iter().flatten() {
                        lines.extend(l.as_str().map(str::to_owned));
                    }
                    if let Some(loc) = data["reprfileloc"].as_object() {
                        lines.push(format!(
                            "{}:{}: {}",
                            loc.get("path").and_then(Value::as_str).unwrap_or(""),
                            loc.get("lineno").map(Value::to_string).unwrap_or_default(),
                            loc.get("message").and_then(Value::as_str).unwrap_or("")
                        ));
                    }
                }
            }
            if lines.is_empty()
                && let Some(m) = o.get("reprcrash").and_then(|c| c["message"].as_str())
            {
                lines.push(m.to_owned());
            }
            lines.join("\n")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_fold_into_one_case_per_test() {
        let log = r#"{"pytest_version": "8.3.4", "$report_type": "SessionStart"}
{"nodeid": "tests/test_kv.py::test_wal", "location": ["tests/test_kv.py", 4, "test_wal"], "when": "setup", "outcome": "passed", "duration": 0.001, "user_properties": [], "sections": [], "longrepr": null, "$report_type": "TestReport"}
{"nodeid": "tests/test_kv.py::test_wal", "location": ["tests/test_kv.py", 4, "test_wal"], "when": "call", "outcome": "failed", "duration": 0.5, "user_properties": [["design", "S1, S3"]], "sections": [["Captured stdout call", "hello\n"]], "longrepr": {"reprcrash": {"path": "x", "lineno": 9, "message": "assert 1 == 2"}, "reprtraceback": {"reprentries": [{"type": "ReprEntry", "data": {"lines": ["    def test_wal():", ">       assert 1 == 2", "E       assert 1 == 2"], "reprfileloc": {"path": "tests/test_kv.py", "lineno": 9, "message": "AssertionError"}}}]}}, "$report_type": "TestReport"}
{"nodeid": "tests/test_kv.py::test_wal", "location": ["tests/test_kv.py", 4, "test_wal"], "when": "teardown", "outcome": "passed", "duration": 0.001, "user_properties": [], "sections": [], "longrepr": null, "$report_type": "TestReport"}
{"nodeid": "tests/test_kv.py::test_skip", "location": ["tests/test_kv.py", 20, "test_skip"], "when": "setup", "outcome": "skipped", "duration": 0.0, "sections": [], "longrepr": ["tests/test_kv.py", 21, "Skipped: not today"], "$report_type": "TestReport"}
{"nodeid": "tests/test_kv.py::test_fixture", "location": ["tests/test_kv.py", 30, "test_fixture"], "when": "setup", "outcome": "failed", "duration": 0.0, "sections": [], "longrepr": "fixture 'db' not found", "$report_type": "TestReport"}
{"nodeid": "tests/test_bad.py", "outcome": "failed", "longrepr": "ImportError: no module named kv", "result": [], "sections": [], "$report_type": "CollectReport"}
{"nodeid": "tests/test_kv.py::test_killed", "location": ["tests/test_kv.py", 40, "test_killed"], "when": "setup", "outcome": "passed", "duration": 0.0, "sections": [], "longrepr": null, "$report_type": "TestReport"}
{"nodeid": "tests/test_kv.py::test_killed", "location": ["tests/test_kv.py", 40, "test_kil"#;
        let r = read(Path::new("r.jsonl"), log).unwrap();
        assert!(!r.finished, "no SessionFinish: cut short");
        assert_eq!(r.cases.len(), 4);
        // Killed while it ran: its setup passed, its call never came, the last line is torn.
        assert_eq!(r.cases[3].outcome, Outcome::Crashed);
        let wal = &r.cases[0];
        assert_eq!(wal.node_id.as_deref(), Some("tests/test_kv.py::test_wal"));
        assert_eq!(
            (wal.file.as_deref(), wal.line),
            (Some("tests/test_kv.py"), Some(5))
        );
        assert_eq!(wal.outcome, Outcome::Failed);
        assert!((wal.duration - 0.502).abs() < 1e-9);
        assert_eq!(wal.design, Some(vec!["S1".to_owned(), "S3".to_owned()]));
        assert!(
            wal.message
                .as_deref()
                .unwrap()
                .contains(">       assert 1 == 2")
        );
        assert!(wal.output.as_deref().unwrap().contains("hello"));
        assert_eq!(r.cases[1].outcome, Outcome::Ignored);
        assert_eq!(r.cases[1].message.as_deref(), Some("Skipped: not today"));
        assert_eq!(r.cases[2].outcome, Outcome::Failed);
        assert_eq!(
            r.cases[2].message.as_deref(),
            Some("error in setup: fixture 'db' not found")
        );
        assert_eq!(r.uncollected[0].0, "tests/test_bad.py");
        let e = read(
            Path::new("r.jsonl"),
            "{\"$report_type\": \"SessionStart\"}\n{oops\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("r.jsonl:2:2: "), "{e}");
    }
}
