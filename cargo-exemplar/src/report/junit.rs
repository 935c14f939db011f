//! JUnit XML of the latest run, for CI test tabs: one suite per mission, one case per test, the
//! directive ids as `design` properties. Failed tests are failures; crashed and timed-out ones
//! are errors; ignored ones are skipped. Every text is made XML 1.0 text first ([`xml_text`]):
//! test output holds ANSI colour escapes and other control bytes, which XML forbids even as
//! character references, and a JUnit file with one of them is refused by strict readers.

use exemplar_formats::Outcome;
use std::time::Duration;

use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};

use super::data::ReportData;
use crate::errors::Error;

/// The XML document.
pub fn render(d: &ReportData) -> Result<String, Error> {
    let mut report = Report::new("cargo exemplar");
    let mut missions: Vec<&str> = d.tests.iter().map(|t| t.mission.as_str()).collect();
    missions.dedup();
    missions.sort();
    missions.dedup();
    for m in missions {
        let mut suite = TestSuite::new(xml_text(m));
        if let Some(r) = d.latest() {
            suite.add_property(Property::new("run_id", r.run_id.as_str()));
            if let Some(c) = &r.commit {
                suite.add_property(Property::new("commit", c.as_str()));
            }
        }
        for t in d.tests.iter().filter(|t| t.mission == m) {
            let mut status = match t.outcome {
                Some(Outcome::Passed) => TestCaseStatus::success(),
                // Passed on a retry: a success with its failed run as a <flakyFailure>.
                Some(Outcome::Flaky) => {
                    let mut flaky = TestCaseStatus::success();
                    let mut first = TestRerun::new(NonSuccessKind::Failure);
                    if let Some(msg) = &t.message {
                        first.set_message(xml_text(exemplar_formats::headline(msg)));
                        first.set_stack_trace(xml_text(msg));
                    }
                    flaky.add_rerun(first);
                    flaky
                }
                Some(Outcome::Ignored) => TestCaseStatus::skipped(),
                Some(Outcome::Failed) => TestCaseStatus::non_success(NonSuccessKind::Failure),
                _ => TestCaseStatus::non_success(NonSuccessKind::Error),
            };
            if let Some(msg) = &t.message {
                status.set_message(xml_text(exemplar_formats::headline(msg)));
                status.set_description(xml_text(msg));
            }
            if matches!(
                t.outcome,
                Some(Outcome::Crashed | Outcome::Timeout | Outcome::Stranded)
            ) {
                status.set_type(t.word());
            }
            let mut case = TestCase::new(xml_text(&t.reference), status);
            if let Some(o) = t.output.as_deref() {
                let (stdout, stderr) = streams(o);
                if !stdout.trim().is_empty() {
                    case.set_system_out(xml_text(stdout));
                }
                if !stderr.trim().is_empty() {
                    case.set_system_err(xml_text(stderr));
                }
            }
            case.set_classname(xml_text(&format!("{m}::{}", t.binary)));
            case.set_time(Duration::from_secs_f64(t.duration.max(0.0)));
            for id in &t.ids {
                case.add_property(Property::new("design", xml_text(id)));
            }
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report
        .to_string()
        .map_err(|e| Error::Usage(format!("cannot write JUnit XML: {e}")))
}

/// `s` as XML 1.0 text: ANSI escape sequences and control characters removed (but tab and
/// line breaks), and each other character XML does not allow (U+FFFE, U+FFFF) shown as U+FFFD.
pub fn xml_text(s: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    };
    anstream::adapter::strip_str(s)
        .to_string()
        .chars()
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect()
}

/// Captured output as (stdout, stderr): the runner writes a process's streams under
/// `--- stdout ---` and `--- stderr ---` headers; output libtest captured has both in one,
/// which goes to stdout.
fn streams(output: &str) -> (&str, &str) {
    // A note on where the output came from (a run of the test alone) is not a stream.
    let output = match output.split_once('\n') {
        Some((first, rest)) if first.starts_with("(captured from ") => rest,
        _ => output,
    };
    let body = output.strip_prefix("--- stdout ---\n").unwrap_or(output);
    if let Some(rest) = body.strip_prefix("--- stderr ---\n") {
        return ("", rest);
    }
    match body.split_once("\n--- stderr ---\n") {
        Some((out, err)) => (out, err),
        None => (body, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::xml_text;

    #[test]
    fn text_is_xml_text() {
        assert_eq!(
            xml_text("\u{1b}[31mred\u{1b}[0m \u{0}\u{7}\u{fffe}end\tok\n"),
            "red \u{fffd}end\tok\n"
        );
        assert_eq!(xml_text("<a> & é 🦀"), "<a> & é 🦀");
    }
}
