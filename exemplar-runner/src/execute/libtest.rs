//! Reading what a default-harness (libtest) test binary printed: one line per test
//! (`test NAME ... ok | FAILED | ignored`), then, for each failing test, the section libtest
//! captured for it (`---- NAME stdout ----`: its output and its panic message).
//!
//! Untagged tests run by libtest are records like any other: named, with their outcome,
//! their message and their output, though they count toward no directive.

use exemplar_formats::Outcome;

/// A test as libtest reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct LibtestTest {
    /// libtest name (`tests::parses`).
    pub name: String,
    /// Passed, failed or ignored.
    pub outcome: Outcome,
    /// The panic message of a failing test.
    pub message: Option<String>,
    /// What a failing test printed, as libtest captured it (its panic message apart).
    pub output: Option<String>,
}

/// Every test of `stdout` (libtest's pretty output), in the order libtest reported them.
pub fn parse(stdout: &str) -> Vec<LibtestTest> {
    let mut tests: Vec<LibtestTest> = stdout.lines().filter_map(result_line).collect();
    for (name, section) in captured_sections(stdout) {
        if let Some(t) = tests.iter_mut().find(|t| t.name == name) {
            let (output, message) = split_panic(&section);
            t.message = message;
            t.output = output;
        }
    }
    tests
}

/// `test NAME ... ok` (also `ignored`, `ignored, reason`, `FAILED`).
fn result_line(line: &str) -> Option<LibtestTest> {
    let rest = line.strip_prefix("test ")?;
    let (name, verdict) = rest.rsplit_once(" ... ")?;
    let name = name.strip_suffix(" - should panic").unwrap_or(name);
    let outcome = match verdict.trim() {
        "ok" => Outcome::Passed,
        "FAILED" => Outcome::Failed,
        v if v == "ignored" || v.starts_with("ignored, ") => Outcome::Ignored,
        _ => return None,
    };
    Some(LibtestTest {
        name: name.to_owned(),
        outcome,
        message: None,
        output: None,
    })
}

/// The `---- NAME stdout ----` sections, each up to the next section or the closing
/// `failures:` list.
fn captured_sections(stdout: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in stdout.lines() {
        let header = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"));
        if (header.is_some() || line == "failures:")
            && let Some((name, lines)) = current.take()
        {
            out.push((name, lines.join("\n").trim_end().to_owned() + "\n"));
        }
        match (header, &mut current) {
            (Some(name), _) => current = Some((name.to_owned(), Vec::new())),
            (None, Some((_, lines))) => lines.push(line),
            (None, None) => {}
        }
    }
    if let Some((name, lines)) = current {
        out.push((name, lines.join("\n").trim_end().to_owned() + "\n"));
    }
    out
}

/// A captured section as (what the test printed, its panic message): the message runs from
/// `thread '...' panicked at` to the end (a backtrace included), without libtest's hint to
/// set `RUST_BACKTRACE`; each is `None` when empty.
fn split_panic(section: &str) -> (Option<String>, Option<String>) {
    let some = |t: &str| {
        let t = t.trim_matches('\n');
        (!t.trim().is_empty()).then(|| t.to_owned())
    };
    let Some(at) = section.find("panicked at ") else {
        return (some(section), None);
    };
    let line_start = section[..at].rfind('\n').map_or(0, |i| i + 1);
    let panic: Vec<&str> = section[line_start..]
        .lines()
        .filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
        .collect();
    let panic = panic.join("\n");
    // "thread 'tests::b' panicked at src/lib.rs:10:9:" reads as the exemplar harness writes it.
    let message = match panic.split_once(" panicked at ") {
        Some((_, rest)) => format!("test panicked at {rest}"),
        None => panic.clone(),
    };
    (some(&section[..line_start]), some(&message))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "
running 4 tests
test tests::a ... ok
test tests::c ... ignored
test tests::d ... ignored, slow
test tests::b - should panic ... FAILED

failures:

---- tests::b stdout ----
hello from b

thread 'tests::b' panicked at src/lib.rs:10:9:
assertion `left == right` failed
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    tests::b

test result: FAILED. 1 passed; 1 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    #[test]
    fn every_test_is_named_with_its_outcome_message_and_output() {
        let tests = parse(OUTPUT);
        let names: Vec<(&str, Outcome)> =
            tests.iter().map(|t| (t.name.as_str(), t.outcome)).collect();
        assert_eq!(
            names,
            [
                ("tests::a", Outcome::Passed),
                ("tests::c", Outcome::Ignored),
                ("tests::d", Outcome::Ignored),
                ("tests::b", Outcome::Failed),
            ]
        );
        let b = &tests[3];
        assert_eq!(
            b.message.as_deref(),
            Some(
                "test panicked at src/lib.rs:10:9:\nassertion `left == right` failed\n  left: 1\n right: 2"
            )
        );
        assert_eq!(b.output.as_deref(), Some("hello from b"));
        assert!(tests[0].output.is_none());
    }
}
