//! One process of a default-harness (libtest) test binary, run as a worker: the named tests,
//! exactly, one at a time (`--exact --test-threads 1 NAME...`).
//!
//! One at a time, libtest writes `test NAME ... ` when a test starts and its verdict when it
//! ends, so reading stdout as it comes tells when each test started and ended (its duration
//! on stable Rust), which test is in flight when the process dies (the culprit, `crashed`) or
//! runs past the timeout (killed, `timeout`), and which test wrote output that libtest did not
//! capture (it went to the file descriptor directly). When the process ends, the sections
//! libtest printed for the failing tests give each its panic message and captured output.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use exemplar_formats::Outcome;

use crate::errors::Error;
use crate::execute::binary::{ExecOptions, Finished, Progress};
use crate::execute::libtest;
use crate::execute::list::runs_ignored;
use crate::execute::process::{Chunk, Proc, Tail, io_error, kill};

/// Run `names` of `exe` in one process, following it to its end: each test's start and
/// outcome go to `on` as they happen, and the outcomes into `results`; failing tests' messages
/// and output follow as [`Progress::Amended`] when the process has ended.
pub(crate) fn spawn(
    exe: &Path,
    opts: &ExecOptions,
    names: &[String],
    on: &mut dyn FnMut(Progress<'_>),
    results: &mut Vec<Finished>,
) -> Result<Proc, Error> {
    let mut child = command(exe, opts, names)
        .spawn()
        .map_err(io_error("start", exe))?;
    let (tx, rx) = mpsc::channel();
    let mut stdout = child
        .stdout
        .take()
        .map(|s| Tail::start_forwarding(s, Some(tx)))
        .unwrap_or_default();
    let mut stderr = child.stderr.take().map(Tail::start).unwrap_or_default();
    let mut reading = Stream {
        echo: opts.no_capture,
        ..Stream::default()
    };
    let first = results.len();
    let (status, timed_out) = reading
        .follow(&mut child, &rx, opts.timeout, on, results)
        .map_err(io_error("follow the run of", exe))?;
    stdout.join();
    stderr.join();
    for (at, chunk) in rx.try_iter() {
        reading.feed(at, &chunk, on, results);
    }
    amend_failures(&stdout.text(), &reading, &mut results[first..], on);
    Ok(Proc {
        inventory: None,
        harness_version: None,
        inflight: reading.inflight.into_iter().collect(),
        progress: reading.progress,
        status,
        timed_out,
        stdout,
        stderr,
        harness_lines: true,
    })
}

/// The command: the named tests exactly, one at a time (ignored ones only when the run asks
/// for them; else libtest reports them ignored), in the package's folder with its
/// environment.
fn command(exe: &Path, opts: &ExecOptions, names: &[String]) -> Command {
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", "--test-threads", "1"]);
    if runs_ignored(&opts.harness_args) {
        cmd.arg("--include-ignored");
    }
    if opts.no_capture {
        cmd.arg("--nocapture");
    }
    cmd.args(names)
        .current_dir(&opts.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if opts.no_capture {
            Stdio::inherit()
        } else {
            Stdio::piped()
        });
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    cmd
}

/// What reading a worker's stdout has found so far.
#[derive(Default)]
struct Stream {
    /// The line being read (no newline yet).
    partial: Vec<u8>,
    /// The test in flight and when it started (its `test NAME ... ` seen, no verdict yet).
    inflight: Option<(String, Instant)>,
    /// Lines the test in flight wrote past libtest's capture, by test.
    raw: Vec<(String, String)>,
    /// Tests that ended.
    progress: usize,
    /// Past the `failures:` sections: nothing more is a test's.
    done: bool,
    /// Copy what the tests print to our stdout (`--no-capture`).
    echo: bool,
}

impl Stream {
    /// Read until the child exits, or kill it when the test in flight passes `timeout`.
    fn follow(
        &mut self,
        child: &mut Child,
        rx: &mpsc::Receiver<Chunk>,
        timeout: Option<Duration>,
        on: &mut dyn FnMut(Progress<'_>),
        results: &mut Vec<Finished>,
    ) -> std::io::Result<(ExitStatus, Option<(String, f64)>)> {
        loop {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok((at, chunk)) => self.feed(at, &chunk, on, results),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Ok((child.wait()?, None));
                }
            }
            if let Some(limit) = timeout
                && let Some((name, t0)) = &self.inflight
                && t0.elapsed() > limit
            {
                let timed_out = (name.clone(), t0.elapsed().as_secs_f64());
                return Ok((kill(child)?, Some(timed_out)));
            }
            if let Some(status) = child.try_wait()? {
                return Ok((status, None));
            }
        }
    }

    /// Take in a piece of stdout read at `at`.
    fn feed(
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
        self.partial.extend_from_slice(chunk);
        while let Some(nl) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line[..nl]).into_owned();
            self.line(at, line.trim_end_matches('\r'), on, results);
        }
        // A start line is written without its newline, which comes with the verdict.
        if self.inflight.is_none() && !self.done {
            let partial = String::from_utf8_lossy(&self.partial).into_owned();
            if let Some(name) = start_line(&partial) {
                self.start(name, at, on);
            }
        }
    }

    fn start(&mut self, name: String, at: Instant, on: &mut dyn FnMut(Progress<'_>)) {
        on(Progress::Started(&name));
        self.inflight = Some((name, at));
    }

    /// One whole line of stdout.
    fn line(
        &mut self,
        at: Instant,
        line: &str,
        on: &mut dyn FnMut(Progress<'_>),
        results: &mut Vec<Finished>,
    ) {
        if self.done {
            return;
        }
        if line == "failures:" || line.starts_with("test result: ") {
            self.done = true;
            return;
        }
        let mut rest = line;
        if let Some((name, after)) = split_start(line) {
            match &self.inflight {
                Some((n, _)) if *n == name => {}
                _ => self.start(name, at, on),
            }
            rest = after;
        }
        let Some((name, t0)) = self.inflight.clone() else {
            return;
        };
        match verdict(rest) {
            Some((outcome, reason)) => {
                self.inflight = None;
                self.progress += 1;
                let f = Finished {
                    name,
                    outcome,
                    duration: at.duration_since(t0).as_secs_f64(),
                    message: reason,
                    output: None,
                };
                on(Progress::Finished(&f));
                results.push(f);
            }
            None if !rest.is_empty() => self.raw.push((name, rest.to_owned())),
            None => {}
        }
    }
}

/// `test NAME ... ` (a test that started), with libtest's ` - should panic` mark dropped.
fn start_line(partial: &str) -> Option<String> {
    let (name, after) = split_start(partial)?;
    after.is_empty().then_some(name)
}

/// A line that begins `test NAME ... `: the name, and what follows.
fn split_start(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix("test ")?;
    let (name, after) = rest.split_once(" ... ")?;
    let name = name.strip_suffix(" - should panic").unwrap_or(name);
    Some((name.to_owned(), after))
}

/// `ok`, `FAILED`, `ignored` or `ignored, REASON` (the reason is returned).
fn verdict(text: &str) -> Option<(Outcome, Option<String>)> {
    match text.trim_end() {
        "ok" => Some((Outcome::Passed, None)),
        "FAILED" => Some((Outcome::Failed, None)),
        "ignored" => Some((Outcome::Ignored, None)),
        v => v
            .strip_prefix("ignored, ")
            .map(|reason| (Outcome::Ignored, Some(reason.to_owned()))),
    }
}

/// Give each failing test of this process its panic message and its output: what libtest
/// captured for it and what it wrote past the capture.
fn amend_failures(
    stdout: &str,
    stream: &Stream,
    results: &mut [Finished],
    on: &mut dyn FnMut(Progress<'_>),
) {
    let sections = libtest::parse(stdout);
    for f in results.iter_mut().filter(|f| f.outcome == Outcome::Failed) {
        let section = sections.iter().find(|t| t.name == f.name);
        let raw: Vec<&str> = stream
            .raw
            .iter()
            .filter(|(n, _)| *n == f.name)
            .map(|(_, l)| l.as_str())
            .collect();
        let mut output = section.and_then(|s| s.output.clone()).unwrap_or_default();
        if !raw.is_empty() {
            if !output.is_empty() {
                output.push('\n');
            }
            output.push_str(&raw.join("\n"));
        }
        f.message = section.and_then(|s| s.message.clone());
        f.output = (!output.is_empty()).then_some(output);
        on(Progress::Amended(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(chunks: &[&str]) -> (Vec<String>, Vec<Finished>, Stream) {
        let mut stream = Stream::default();
        let mut results = Vec::new();
        let mut started = Vec::new();
        let t0 = Instant::now();
        for (i, c) in chunks.iter().enumerate() {
            let at = t0 + Duration::from_millis(10 * i as u64);
            stream.feed(
                at,
                c.as_bytes(),
                &mut |p| {
                    if let Progress::Started(n) = p {
                        started.push(n.to_owned())
                    }
                },
                &mut results,
            );
        }
        (started, results, stream)
    }

    #[test]
    fn starts_verdicts_and_durations_are_read_as_they_come() {
        let (started, results, stream) = read(&[
            "\nrunning 3 tests\ntest a ... ",
            "ok\ntest b - should panic ... ",
            "raw line\n",
            "FAILED\ntest c ... ",
        ]);
        assert_eq!(started, ["a", "b", "c"]);
        let got: Vec<(&str, Outcome, u64)> = results
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    f.outcome,
                    (f.duration * 1000.0).round() as u64,
                )
            })
            .collect();
        assert_eq!(
            got,
            [("a", Outcome::Passed, 10), ("b", Outcome::Failed, 20)]
        );
        assert_eq!(stream.raw, [("b".to_owned(), "raw line".to_owned())]);
        assert_eq!(stream.inflight.as_ref().map(|(n, _)| n.as_str()), Some("c"));
    }

    #[test]
    fn the_failures_sections_are_not_tests() {
        let (_, results, stream) = read(&[
            "test a ... ignored, slow\n\nfailures:\n\n---- x stdout ----\ntest fake ... ok\n",
        ]);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].outcome, Outcome::Ignored);
        assert_eq!(results[0].message.as_deref(), Some("slow"));
        assert!(stream.done && stream.inflight.is_none());
    }
}
