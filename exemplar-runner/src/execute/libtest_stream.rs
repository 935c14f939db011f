//! Reading a libtest worker's output as it comes: the tests' starts, verdicts, durations,
//! messages and output (see [`libtest_process`](super::libtest_process) for the process).
//!
//! libtest writes `test NAME ... ` when a test starts and its verdict when it ends; what the
//! test writes comes in between, and may itself look like anything. So a start is believed
//! only for a name this worker was given and has not seen start, and a test's verdict is read
//! when what follows it proves it ended — the next test's start, or the run's summary — from
//! the end of its last line (`ok`, `FAILED`, `ignored[, REASON]`, after whatever the test
//! wrote without a newline). A test still in flight when the output ends never ended: its
//! process died or was killed. After the summary, the sections libtest prints for failing
//! tests (`---- NAME stdout ----`) give the reason of failures that have no panic report (a
//! `should_panic` test that did not panic, an `Err` returned).

use std::collections::HashSet;
use std::time::Instant;

use exemplar_formats::Outcome;

use crate::execute::binary::{Finished, Progress};
use crate::execute::libtest::{split_panic, split_start, verdict};

/// The most a test's own output is kept to (its end).
const KEEP: usize = 256 * 1024;

/// The longest start line (`test NAME ... `) looked for in a line not yet ended.
const START_LINE_MOST: usize = 64 * 1024;

/// The test in flight.
#[derive(Debug, Clone)]
pub(crate) struct Running {
    /// Its name.
    pub(crate) name: String,
    /// When its start line was read.
    pub(crate) started: Instant,
    /// What it wrote so far, whole lines (the last one may carry the verdict).
    pub(crate) text: String,
    /// When its last line was read.
    last_at: Instant,
}

/// What reading a worker's output has found so far.
#[derive(Default)]
pub(crate) struct Stream {
    /// The tests given to this worker that have not started.
    expected: HashSet<String>,
    /// The line being read (no newline yet).
    partial: Vec<u8>,
    /// The test in flight.
    pub(crate) inflight: Option<Running>,
    /// Tests that ended.
    pub(crate) progress: usize,
    /// Past the run's summary (or its list of failures).
    done: bool,
    /// The sections of failing tests: (name, text).
    sections: Vec<(String, String)>,
    /// Copy the output to our stdout as it comes (`--no-capture`).
    echo: bool,
}

impl Stream {
    /// A stream for a worker given `names`.
    pub(crate) fn new(names: &[String], echo: bool) -> Stream {
        Stream {
            expected: names.iter().cloned().collect(),
            echo,
            ..Stream::default()
        }
    }

    /// Take in a piece of output read at `at`.
    pub(crate) fn feed(
        &mut self,
        at: Instant,
        chunk: &[u8],
        on: &mut dyn FnMut(Progress<'_>),
        results: &mut Vec<Finished>,
    ) {
        if self.echo {
            use std::io::Write;
            let _ = std::io::stdout().write_all(chunk);
        }
        let old = self.partial.len();
        self.partial.extend_from_slice(chunk);
        let mut from = 0;
        let mut scan = old;
        while let Some(nl) = self.partial[scan..].iter().position(|b| *b == b'\n') {
            let end = scan + nl;
            let line = String::from_utf8_lossy(&self.partial[from..end]).into_owned();
            self.line(at, line.trim_end_matches('\r'), on, results);
            from = end + 1;
            scan = from;
        }
        self.partial.drain(..from);
        // A line without end keeps its last KEEP bytes, cut when it has grown by as much
        // again (not at every chunk: each cut moves them all).
        if self.partial.len() > 2 * KEEP {
            let cut = self.partial.len() - KEEP;
            self.partial.drain(..cut);
        }
        // A start line is written without its newline: the test's output or its verdict
        // completes it. The test starts as soon as its start is read, whatever follows it in
        // the same read (a test that writes without a newline must still meet its timeout).
        if !self.done && self.partial.starts_with(b"test ") {
            let head = &self.partial[..self.partial.len().min(START_LINE_MOST)];
            if let Some(end) = head.windows(5).position(|w| w == b" ... ") {
                let start = String::from_utf8_lossy(&head[..end + 5]).into_owned();
                if let Some((name, _)) = split_start(&start)
                    && self.expected.contains(&name)
                {
                    self.start(name, at, on, results);
                }
            }
        }
    }

    /// A test starts: the one in flight has ended.
    fn start(
        &mut self,
        name: String,
        at: Instant,
        on: &mut dyn FnMut(Progress<'_>),
        results: &mut Vec<Finished>,
    ) {
        self.finish_inflight(on, results);
        self.expected.remove(&name);
        on(Progress::Started(&name));
        self.inflight = Some(Running {
            name,
            started: at,
            text: String::new(),
            last_at: at,
        });
    }

    /// One whole line of output.
    fn line(
        &mut self,
        at: Instant,
        line: &str,
        on: &mut dyn FnMut(Progress<'_>),
        results: &mut Vec<Finished>,
    ) {
        if self.done {
            self.section_line(line);
            return;
        }
        let mut rest = line;
        if let Some((name, after)) = split_start(line) {
            let already = self.inflight.as_ref().is_some_and(|t| t.name == name);
            if self.expected.contains(&name) {
                self.start(name, at, on, results);
                rest = after;
            } else if already {
                rest = after;
            }
        }
        let summary = line == "failures:" || line.starts_with("test result: ");
        if summary && self.expected.is_empty() {
            self.finish_inflight(on, results);
            self.done = true;
            return;
        }
        if let Some(t) = &mut self.inflight {
            t.text.push_str(rest);
            t.text.push('\n');
            t.last_at = at;
            // Cut to the last KEEP bytes once it holds twice as many (each cut moves them).
            if t.text.len() > 2 * KEEP {
                keep_tail(&mut t.text);
            }
        }
    }

    /// After the summary: the failing tests' sections.
    fn section_line(&mut self, line: &str) {
        let header = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"));
        match header {
            Some(name) => self.sections.push((name.to_owned(), String::new())),
            None if line == "failures:" => self.sections.push((String::new(), String::new())),
            None => {
                if let Some((_, text)) = self.sections.last_mut() {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }

    /// The test in flight ended: its verdict is at the end of its last line. A test with no
    /// verdict there is recorded failed, saying so (libtest always writes one).
    fn finish_inflight(&mut self, on: &mut dyn FnMut(Progress<'_>), results: &mut Vec<Finished>) {
        let Some(t) = self.inflight.take() else {
            return;
        };
        self.progress += 1;
        let f = ended(t);
        on(Progress::Finished(&f));
        results.push(f);
    }

    /// The output ended: give failing tests without a panic report the reason libtest wrote
    /// in their section. The test still in flight, if any, is left for the caller: its
    /// process died with it.
    pub(crate) fn end(&mut self, on: &mut dyn FnMut(Progress<'_>), results: &mut [Finished]) {
        for f in results.iter_mut() {
            if f.outcome != Outcome::Failed || f.message.is_some() {
                continue;
            }
            let section = self.sections.iter().find(|(n, _)| *n == f.name);
            if let Some((_, text)) = section
                && !text.trim().is_empty()
            {
                f.message = Some(text.trim().to_owned());
                on(Progress::Amended(f));
            }
        }
    }

    /// What the test in flight wrote, its unfinished last line included.
    pub(crate) fn inflight_output(&self) -> Option<String> {
        let t = self.inflight.as_ref()?;
        let partial = String::from_utf8_lossy(&self.partial).into_owned();
        let partial = split_start(&partial).map_or(partial.as_str(), |(_, after)| after);
        let mut text = t.text.clone() + partial;
        keep_tail(&mut text);
        Some(text)
    }
}

/// Keep the last [`KEEP`] bytes of `text` (from a character boundary).
fn keep_tail(text: &mut String) {
    if text.len() > KEEP {
        let cut = text.len() - KEEP;
        let cut = (cut..text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(text.len());
        text.drain(..cut);
    }
}

/// A test that ended, from what it wrote: its verdict ends its last line.
fn ended(mut t: Running) -> Finished {
    keep_tail(&mut t.text);
    let duration = t.last_at.duration_since(t.started).as_secs_f64();
    // libtest writes a blank line before its summary; the verdict ends the last line with text.
    let body = t.text.trim_end_matches('\n');
    let (before, last) = match body.rfind('\n') {
        Some(i) => (&body[..i + 1], &body[i + 1..]),
        None => ("", body),
    };
    let Some((outcome, reason, unterminated)) = trailing_verdict(last) else {
        return Finished {
            name: t.name,
            outcome: Outcome::Failed,
            duration,
            message: Some("libtest wrote no verdict for this test".into()),
            output: Some(t.text),
        };
    };
    let text = format!("{before}{unterminated}");
    let (output, message) = match outcome {
        Outcome::Failed => split_panic(&text),
        _ => (None, reason),
    };
    Finished {
        name: t.name,
        outcome,
        duration,
        message,
        output,
    }
}

/// The verdict at the end of `line`, with what the test wrote before it on that line.
fn trailing_verdict(line: &str) -> Option<(Outcome, Option<String>, &str)> {
    if let Some((outcome, reason)) = verdict(line) {
        return Some((outcome, reason, ""));
    }
    [
        ("FAILED", Outcome::Failed),
        ("ok", Outcome::Passed),
        ("ignored", Outcome::Ignored),
    ]
    .into_iter()
    .find_map(|(word, outcome)| {
        line.strip_suffix(word)
            .map(|before| (outcome, None, before))
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn read(names: &[&str], chunks: &[&str]) -> (Vec<String>, Vec<Finished>, Stream) {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut stream = Stream::new(&names, false);
        let mut results = Vec::new();
        let mut started = Vec::new();
        let t0 = Instant::now();
        for (i, c) in chunks.iter().enumerate() {
            let at = t0 + Duration::from_millis(10 * i as u64);
            let mut on = |p: Progress<'_>| {
                if let Progress::Started(n) = p {
                    started.push(n.to_owned())
                }
            };
            stream.feed(at, c.as_bytes(), &mut on, &mut results);
        }
        stream.end(&mut |_| {}, &mut results);
        (started, results, stream)
    }

    fn outcomes(results: &[Finished]) -> Vec<(&str, Outcome)> {
        results
            .iter()
            .map(|f| (f.name.as_str(), f.outcome))
            .collect()
    }

    #[test]
    fn starts_verdicts_durations_and_output_are_read_as_they_come() {
        let (started, results, stream) = read(
            &["a", "b", "c"],
            &[
                "\nrunning 3 tests\ntest a ... ",
                "ok\ntest b - should panic ... ",
                "printed\nthread 'b' (7) panicked at src/lib.rs:3:5:\nboom\n",
                "FAILED\ntest c ... ",
                "partial",
            ],
        );
        assert_eq!(started, ["a", "b", "c"]);
        assert_eq!(
            outcomes(&results),
            [("a", Outcome::Passed), ("b", Outcome::Failed)]
        );
        let ms = |f: &Finished| (f.duration * 1000.0).round() as u64;
        assert_eq!((ms(&results[0]), ms(&results[1])), (10, 20));
        assert_eq!(results[1].output.as_deref(), Some("printed"));
        assert_eq!(
            results[1].message.as_deref(),
            Some("test panicked at src/lib.rs:3:5:\nboom")
        );
        assert_eq!(stream.inflight.as_ref().unwrap().name, "c");
        assert_eq!(stream.inflight_output().as_deref(), Some("partial"));
    }

    #[test]
    fn a_test_that_writes_without_a_newline_starts_in_the_same_read() {
        // The start line and the test's first output come in one read, and no newline
        // follows for a long time: the test is in flight (so its timeout can apply).
        let (started, results, stream) =
            read(&["a", "b"], &["test a ... ok\ntest b ... ....", "...."]);
        assert_eq!(started, ["a", "b"]);
        assert_eq!(outcomes(&results), [("a", Outcome::Passed)]);
        assert_eq!(stream.inflight.as_ref().unwrap().name, "b");
        assert_eq!(stream.inflight_output().as_deref(), Some("........"));
        // Its line ends later, with its verdict: the start is not read twice.
        let (started, results, _) = read(
            &["b"],
            &["test b ... ..", "..ok\n", "\ntest result: ok. 1 passed\n"],
        );
        assert_eq!(started, ["b"]);
        assert_eq!(outcomes(&results), [("b", Outcome::Passed)]);
    }

    #[test]
    fn what_a_test_writes_never_passes_for_libtest() {
        let (_, results, _) = read(
            &["a", "b", "c"],
            &[
                // An "ok" of its own before failing; output without a newline before the
                // verdict; a start line of a test that is not this worker's.
                "test a ... ok\nthread 'a' (1) panicked at x.rs:1:1:\nno\nFAILED\n",
                "test b ... hello",
                "ok\ntest c ... test zzz ... ok\nok\n",
                "\ntest result: FAILED. 2 passed; 1 failed\n",
            ],
        );
        assert_eq!(
            outcomes(&results),
            [
                ("a", Outcome::Failed),
                ("b", Outcome::Passed),
                ("c", Outcome::Passed)
            ]
        );
        assert_eq!(
            results[0].message.as_deref(),
            Some("test panicked at x.rs:1:1:\nno")
        );
    }

    #[test]
    fn failures_without_a_panic_report_take_their_section() {
        let (_, results, _) = read(
            &["p", "q"],
            &[
                "test p - should panic ... FAILED\ntest q ... ignored, slow\n",
                "\nfailures:\n\n---- p stdout ----\nnote: test did not panic as expected\n",
                "\nfailures:\n    p\n\ntest result: FAILED. 0 passed; 1 failed; 1 ignored\n",
            ],
        );
        assert_eq!(
            outcomes(&results),
            [("p", Outcome::Failed), ("q", Outcome::Ignored)]
        );
        assert_eq!(
            results[0].message.as_deref(),
            Some("note: test did not panic as expected")
        );
        assert_eq!(results[1].message.as_deref(), Some("slow"));
    }
}
