//! Reading JUnit XML as the runners people use write it: cargo-nextest, pytest
//! `--junitxml` (xunit1 and xunit2), go test through gotestsum, jest-junit.
//!
//! Every `testcase` becomes a [`ForeignCase`], in any nesting of `testsuites` and `testsuite`
//! (or a `testsuite` at the root). A case with `failure` failed (a `failure` whose type says
//! timeout timed out); with `error` it failed outside its assertions (setup, teardown, the
//! harness), which is a failure too, said so in its message; with `skipped` it was ignored; one
//! that passed after `flakyFailure`/`flakyError` reruns is flaky. `system-out` and
//! `system-err` are its output. A `design` property (pytest's `record_property("design",
//! "S1, S2")`) gives its ids. Attributes the format does not require (`time`, `file`, `line`,
//! timestamps in any shape) are read when they make sense and never refuse a file; a file that
//! is not well-formed XML is refused with its line and column.

use std::path::Path;

use exemplar_formats::Outcome;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::case::{ForeignCase, joined};
use super::markers::id_list;
use crate::errors::Error;

/// The cases of the JUnit XML `text`, read from `path` (for messages).
pub fn read(path: &Path, text: &str) -> Result<Vec<ForeignCase>, Error> {
    let mut reader = Reader::from_str(text);
    let mut state = State::default();
    let mut depth = 0usize;
    let mut root = None;
    loop {
        // Where the event starts, for the errors about it.
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| bad(path, text, reader.error_position(), &e.to_string()))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                root.get_or_insert_with(|| e.name().as_ref().to_vec());
                state.open(&e, false).map_err(|d| bad(path, text, at, &d))?;
            }
            Event::Empty(e) => {
                root.get_or_insert_with(|| e.name().as_ref().to_vec());
                state.open(&e, true).map_err(|d| bad(path, text, at, &d))?;
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                state.close(e.name().as_ref());
            }
            Event::Text(t) => {
                let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                let s = quick_xml::escape::unescape(&raw)
                    .map_err(|e| bad(path, text, at, &e.to_string()))?;
                state.text(&s);
            }
            Event::CData(t) => state.text(&String::from_utf8_lossy(t.as_ref())),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                        quick_xml::escape::resolve_xml_entity(&name)
                            .ok_or_else(|| {
                                bad(path, text, at, &format!("unknown entity &{name};"))
                            })?
                            .to_owned()
                    }
                };
                state.text(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth > 0 {
        let detail = "the file ends before its elements close: cut short";
        return Err(bad(path, text, text.len() as u64, detail));
    }
    if !matches!(root.as_deref(), Some(b"testsuites" | b"testsuite")) {
        let detail = "its root element is neither testsuites nor testsuite";
        return Err(bad(path, text, 0, detail));
    }
    Ok(state.cases)
}

/// What the reader is inside of.
#[derive(Default)]
struct State {
    /// Names of the open suites, outermost first.
    suites: Vec<String>,
    /// The open case, and what it holds so far.
    case: Option<Open>,
    /// The child of the case whose text is being read.
    child: Option<Child>,
    cases: Vec<ForeignCase>,
}

/// A case being read.
struct Open {
    case: ForeignCase,
    failure: Option<Status>,
    error: Option<Status>,
    skipped: Option<Status>,
    flaky: bool,
    out: Option<String>,
    err: Option<String>,
}

/// A `failure`, `error` or `skipped`: its type, message and text.
#[derive(Default)]
struct Status {
    ty: Option<String>,
    message: Option<String>,
    text: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Child {
    Failure,
    Error,
    Skipped,
    Out,
    Err,
    Other,
}

impl State {
    fn open(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), String> {
        let attrs = attributes(e)?;
        let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        match e.name().as_ref() {
            b"testsuite" => {
                if !empty {
                    self.suites.push(get("name").unwrap_or_default());
                }
            }
            b"testcase" => {
                let suite = self.suites.last().cloned().unwrap_or_default();
                let mut case = ForeignCase::new(&suite, &get("name").unwrap_or_default());
                case.classname = get("classname").filter(|c| !c.is_empty());
                case.file = get("file").filter(|f| !f.is_empty());
                case.line = get("line").and_then(|l| l.trim().parse().ok());
                case.duration = get("time").map_or(0.0, |t| seconds(&t));
                self.case = Some(Open {
                    case,
                    failure: None,
                    error: None,
                    skipped: None,
                    flaky: false,
                    out: None,
                    err: None,
                });
                if empty {
                    self.close(b"testcase");
                }
            }
            name => self.open_child(name, &get, empty),
        }
        Ok(())
    }

    fn open_child(&mut self, name: &[u8], get: &dyn Fn(&str) -> Option<String>, empty: bool) {
        let Some(open) = &mut self.case else {
            return;
        };
        let status = || Status {
            ty: get("type"),
            message: get("message"),
            text: String::new(),
        };
        let child = match name {
            b"failure" => {
                open.failure = Some(status());
                Child::Failure
            }
            b"error" => {
                open.error = Some(status());
                Child::Error
            }
            b"skipped" => {
                open.skipped = Some(status());
                Child::Skipped
            }
            b"flakyFailure" | b"flakyError" => {
                open.flaky = true;
                Child::Other
            }
            b"system-out" => Child::Out,
            b"system-err" => Child::Err,
            b"property" => {
                let named = get("name").unwrap_or_default();
                if named == "design" || named == "exemplar.design" {
                    // One property per id (as exemplar's own report writes them) or a list.
                    let ids = id_list(&get("value").unwrap_or_default());
                    open.case.design.get_or_insert_with(Vec::new).extend(ids);
                }
                Child::Other
            }
            _ => Child::Other,
        };
        if !empty {
            self.child = Some(child);
        }
    }

    fn text(&mut self, s: &str) {
        let (Some(open), Some(child)) = (&mut self.case, self.child) else {
            return;
        };
        let slot = match child {
            Child::Failure => open.failure.as_mut().map(|f| &mut f.text),
            Child::Error => open.error.as_mut().map(|f| &mut f.text),
            Child::Skipped => open.skipped.as_mut().map(|f| &mut f.text),
            Child::Out => Some(open.out.get_or_insert_with(String::new)),
            Child::Err => Some(open.err.get_or_insert_with(String::new)),
            Child::Other => None,
        };
        if let Some(slot) = slot {
            slot.push_str(s);
        }
    }

    fn close(&mut self, name: &[u8]) {
        match name {
            b"testsuite" => {
                self.suites.pop();
            }
            b"testcase" => {
                self.child = None;
                if let Some(open) = self.case.take() {
                    self.cases.push(finish(open));
                }
            }
            _ => self.child = None,
        }
    }
}

/// The case as it ended.
fn finish(open: Open) -> ForeignCase {
    let Open {
        mut case,
        failure,
        error,
        skipped,
        flaky,
        out,
        err,
    } = open;
    let text = |s: &Status| joined(&[s.message.clone(), Some(s.text.clone())]);
    (case.outcome, case.message) = if let Some(f) = &failure {
        let timeout =
            f.ty.as_deref()
                .is_some_and(|t| t.to_lowercase().contains("timeout"));
        let outcome = if timeout {
            Outcome::Timeout
        } else {
            Outcome::Failed
        };
        (outcome, text(f))
    } else if let Some(e) = &error {
        let message = text(e).unwrap_or_default();
        (
            Outcome::Failed,
            Some(format!("error outside the test's assertions: {message}")),
        )
    } else if let Some(s) = &skipped {
        (Outcome::Ignored, text(s))
    } else if flaky {
        (Outcome::Flaky, None)
    } else {
        (Outcome::Passed, None)
    };
    case.output = match (out, err) {
        (Some(o), Some(e)) if !o.trim().is_empty() && !e.trim().is_empty() => Some(format!(
            "{}\n--- stderr ---\n{}",
            o.trim_end(),
            e.trim_end()
        )),
        (o, e) => joined(&[o, e]),
    };
    case
}

/// Seconds from a `time` attribute: `0.042`, `1,234.5` (thousands separated), else 0.
fn seconds(t: &str) -> f64 {
    t.trim()
        .replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(0.0)
}

/// The attributes of `e`, unescaped.
fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?
            .into_owned();
        out.push((key, value));
    }
    Ok(out)
}

/// The error for damage at byte `offset` of `text`, with its line and column.
fn bad(path: &Path, text: &str, offset: u64, detail: &str) -> Error {
    let before = &text.as_bytes()[..(offset as usize).min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u64
        + 1;
    Error::BadReport {
        path: path.to_owned(),
        line,
        column,
        detail: format!("not JUnit XML that can be read: {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases(xml: &str) -> Vec<ForeignCase> {
        read(Path::new("r.xml"), xml).unwrap()
    }

    #[test]
    fn pytest_nextest_gotestsum_and_jest_shapes() {
        let pytest = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="3" time="0.1" timestamp="2026-01-02T10:00:00.123456+00:00" hostname="h"><testcase classname="tests.test_kv" name="test_wal" time="0.042"><properties><property name="design" value="S1, S3" /><property name="design" value="S4" /></properties></testcase><testcase classname="tests.test_kv.TestKV" name="test_x[1]" time="0.01"><failure message="assert 1 == 2">def test_x():&#10;&gt;   assert 1 == 2</failure><system-out>out &amp; about</system-out></testcase><testcase classname="tests.test_kv" name="test_skip" time="0.000"><skipped type="pytest.skip" message="not today">tests/test_kv.py:9: not today</skipped></testcase></testsuite></testsuites>"#;
        let c = cases(pytest);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].suite, "pytest");
        let ids = ["S1", "S3", "S4"].map(str::to_owned).to_vec();
        assert_eq!(c[0].design, Some(ids));
        assert_eq!(c[0].outcome, Outcome::Passed);
        assert!((c[0].duration - 0.042).abs() < 1e-9);
        assert_eq!(c[1].outcome, Outcome::Failed);
        assert_eq!(
            c[1].message.as_deref(),
            Some("assert 1 == 2\ndef test_x():\n>   assert 1 == 2")
        );
        assert_eq!(c[1].output.as_deref(), Some("out & about"));
        assert_eq!(c[2].outcome, Outcome::Ignored);

        // nextest: a flaky test, a timeout; jest-junit: a naive timestamp, a file attribute.
        let nextest = r#"<testsuites name="nextest-run" tests="2"><testsuite name="kv::outcomes" tests="2"><testcase name="store::recovers" classname="kv::outcomes" timestamp="2026-01-02T10:00:00"><flakyFailure message="boom" type="test failure"/></testcase><testcase name="slow" classname="kv::outcomes" time="1,200.5"><failure type="test timeout">timed out</failure></testcase></testsuite></testsuites>"#;
        let c = cases(nextest);
        assert_eq!(
            (c[0].suite.as_str(), c[0].outcome),
            ("kv::outcomes", Outcome::Flaky)
        );
        assert_eq!(c[1].outcome, Outcome::Timeout);
        assert!((c[1].duration - 1200.5).abs() < 1e-9);

        // gotestsum and a bare testsuite root with an error and an empty testsuite.
        let go = r#"<testsuite name="example.com/kv/store" tests="2"><testcase classname="example.com/kv/store" name="TestWAL" time="0.00"></testcase><testcase classname="example.com/kv/store" name="TestRecover/empty" time="0.01"><error message="panic">goroutine 1</error></testcase></testsuite>"#;
        let c = cases(go);
        assert_eq!(c[0].function(), "TestWAL");
        assert_eq!(c[1].outcome, Outcome::Failed);
        assert!(
            c[1].message
                .as_deref()
                .unwrap()
                .starts_with("error outside the test's assertions: panic")
        );
        let jest = r#"<testsuites name="jest tests"><testsuite name="kv" timestamp="2026-01-02T10:00:00" time="0.5"><testcase classname="kv acks writes @design(S1)" name="kv acks writes @design(S1)" time="0.002" file="src/kv.test.js"></testcase></testsuite></testsuites>"#;
        let c = cases(jest);
        assert_eq!(c[0].file.as_deref(), Some("src/kv.test.js"));
    }

    #[test]
    fn damage_is_refused_with_its_line_and_column() {
        let err = |xml: &str| read(Path::new("r.xml"), xml).unwrap_err().to_string();
        let cut = "<testsuites>\n<testsuite name=\"s\">\n<testcase name=\"a\">";
        assert!(err(cut).starts_with("r.xml:3:"), "{}", err(cut));
        assert!(err(cut).contains("cut short"));
        let bad = "<testsuites>\n  <testsuite name=\"s\"></testcase>\n</testsuites>";
        assert!(err(bad).starts_with("r.xml:2:"), "{}", err(bad));
        assert!(err("<html><body/></html>").contains("neither testsuites nor testsuite"));
        assert!(err("<testsuites><testsuite name=\"s\"><testcase name=\"&nope;\"/></testsuite></testsuites>").starts_with("r.xml:1:"));
    }
}
