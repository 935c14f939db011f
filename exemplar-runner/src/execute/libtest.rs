//! Reading what a default-harness (libtest) test binary prints when it runs one test at a time
//! without capturing (`--exact --test-threads 1 --nocapture`): `test NAME ... ` when a test
//! starts, whatever the test writes, its verdict (`ok`, `FAILED`, `ignored[, REASON]`) when it
//! ends, and, for a failing test, the panic report the panic hook wrote in between.

use exemplar_formats::Outcome;

/// A line that begins `test NAME ... `: the name (libtest's ` - should panic` mark dropped),
/// and what follows on the line.
pub fn split_start(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix("test ")?;
    let (name, after) = rest.split_once(" ... ")?;
    let name = name.strip_suffix(" - should panic").unwrap_or(name);
    Some((name.to_owned(), after))
}

/// `ok`, `FAILED`, `ignored` or `ignored, REASON` (the reason returned).
pub fn verdict(text: &str) -> Option<(Outcome, Option<String>)> {
    match text.trim_end() {
        "ok" => Some((Outcome::Passed, None)),
        "FAILED" => Some((Outcome::Failed, None)),
        "ignored" => Some((Outcome::Ignored, None)),
        v => v
            .strip_prefix("ignored, ")
            .map(|reason| (Outcome::Ignored, Some(reason.to_owned()))),
    }
}

/// What a failing test wrote, split into (its own output, its panic message): the message runs
/// from `thread '...' panicked at` to the end of the report (a backtrace included), without
/// the hint to set `RUST_BACKTRACE`; each is `None` when empty.
pub fn split_panic(text: &str) -> (Option<String>, Option<String>) {
    let some = |t: &str| {
        let t = t.trim_matches('\n');
        (!t.trim().is_empty()).then(|| t.to_owned())
    };
    let Some(at) = text
        .find(" panicked at ")
        .and_then(|i| text[..i].rfind("thread '"))
    else {
        return (some(text), None);
    };
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let panic: Vec<&str> = text[line_start..]
        .lines()
        .filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
        .collect();
    let panic = panic.join("\n");
    // "thread 'tests::b' panicked at src/lib.rs:10:9:" reads as the exemplar harness writes it.
    let message = match panic.split_once(" panicked at ") {
        Some((_, rest)) => format!("test panicked at {rest}"),
        None => panic.clone(),
    };
    (some(&text[..line_start]), some(&message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_lines_and_verdicts_are_read() {
        assert_eq!(
            split_start("test tests::b - should panic ... ok"),
            Some(("tests::b".to_owned(), "ok"))
        );
        assert_eq!(split_start("test a ... "), Some(("a".to_owned(), "")));
        assert_eq!(split_start("running 3 tests"), None);
        assert_eq!(verdict("FAILED"), Some((Outcome::Failed, None)));
        assert_eq!(
            verdict("ignored, slow"),
            Some((Outcome::Ignored, Some("slow".to_owned())))
        );
        assert_eq!(verdict("okay"), None);
    }

    #[test]
    fn a_panic_report_is_the_message_and_the_rest_is_output() {
        let text = "hello from b\n\nthread 'tests::b' (42) panicked at src/lib.rs:10:9:\nassertion `left == right` failed\n  left: 1\n right: 2\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        let (output, message) = split_panic(text);
        assert_eq!(output.as_deref(), Some("hello from b"));
        assert_eq!(
            message.as_deref(),
            Some(
                "test panicked at src/lib.rs:10:9:\nassertion `left == right` failed\n  left: 1\n right: 2"
            )
        );
        assert_eq!(
            split_panic("just output\n"),
            (Some("just output".into()), None)
        );
    }
}
