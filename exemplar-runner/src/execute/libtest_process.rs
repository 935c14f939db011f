//! One process of a default-harness (libtest) test binary, run as a worker: the named tests,
//! exactly, one at a time, without libtest's capture (`--exact --test-threads 1 --nocapture
//! NAME...`), its stdout and stderr into one pipe.
//!
//! One test at a time, libtest writes `test NAME ... ` when a test starts and its verdict when
//! it ends, and everything written in between — by `print!`, by a child process, by the panic
//! hook, to either stream — is that test's, in the order it was written. So reading the pipe
//! as it comes tells when each test started and ended (its duration, on stable Rust), each
//! failing test's panic message and output, which test is in flight when the process dies (the
//! culprit, `crashed`, with what it wrote before dying, which libtest's own capture would
//! have lost) or runs past the timeout (killed, `timeout`).

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use exemplar_formats::Outcome;

use crate::errors::Error;
use crate::execute::binary::{ExecOptions, Finished, Progress};
use crate::execute::libtest::{split_panic, split_start, verdict};
use crate::execute::list::runs_ignored;
use crate::execute::process::{Chunk, Proc, Tail, io_error, kill};

/// Run `names` of `exe` in one process, following it to its end: each test's start and
/// outcome (a failing one with its message and output) go to `on` as they happen, and the
/// outcomes into `results`.
pub(crate) fn spawn(
    exe: &Path,
    opts: &ExecOptions,
    names: &[String],
    on: &mut dyn FnMut(Progress<'_>),
    results: &mut Vec<Finished>,
) -> Result<Proc, Error> {
    let (reader, writer) = std::io::pipe().map_err(io_error("open a pipe for", exe))?;
    let mut cmd = command(exe, opts, names);
    let both = writer
        .try_clone()
        .map_err(io_error("open a pipe for", exe))?;
    cmd.stdout(writer).stderr(both);
    let mut child = cmd.spawn().map_err(io_error("start", exe))?;
    // The command holds the pipe's writing ends: dropped, the pipe ends with the child.
    drop(cmd);
    let (tx, rx) = mpsc::channel();
    let mut output = Tail::start_forwarding(reader, Some(tx));
    let mut stream = Stream {
        echo: opts.no_capture,
        ..Stream::default()
    };
    let (status, timed_out) = stream
        .follow(&mut child, &rx, opts.timeout, on, results)
        .map_err(io_error("follow the run of", exe))?;
    output.join();
    for (at, chunk) in rx.try_iter() {
        stream.feed(at, &chunk, on, results);
    }
    let inflight_output = stream.inflight.as_ref().map(|t| {
        // What it wrote last, without a newline, is still a partial line.
        let partial = String::from_utf8_lossy(&stream.partial).into_owned();
        let partial = split_start(&partial)
            .map_or(partial.as_str(), |(_, after)| after)
            .to_owned();
        t.text.clone() + &partial
    });
    Ok(Proc {
        inventory: None,
        harness_version: None,
        inflight: stream
            .inflight
            .into_iter()
            .map(|t| (t.name, t.started))
            .collect(),
        progress: stream.progress,
        status,
        timed_out,
        stdout: output,
        stderr: Tail::default(),
        harness_lines: true,
        inflight_output,
    })
}

/// The command: the named tests exactly, one at a time, uncaptured (ignored ones only when the
/// run asks for them; else libtest reports them ignored), in the package's folder with its
/// environment.
fn command(exe: &Path, opts: &ExecOptions, names: &[String]) -> Command {
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", "--test-threads", "1", "--nocapture"]);
    if runs_ignored(&opts.harness_args) {
        cmd.arg("--include-ignored");
    }
    cmd.args(names).current_dir(&opts.cwd).stdin(Stdio::null());
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    cmd
}

/// The test in flight.
#[derive(Debug, Clone)]
struct Running {
    name: String,
    started: Instant,
    /// What it wrote so far.
    text: String,
}

/// What reading a worker's output has found so far.
#[derive(Default)]
struct Stream {
    /// The line being read (no newline yet).
    partial: Vec<u8>,
    /// The test in flight (its `test NAME ... ` seen, no verdict yet).
    inflight: Option<Running>,
    /// Tests that ended.
    progress: usize,
    /// Past the closing `failures:` list: nothing more is a test's.
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
                && let Some(t) = &self.inflight
                && t.started.elapsed() > limit
            {
                let timed_out = (t.name.clone(), t.started.elapsed().as_secs_f64());
                return Ok((kill(child)?, Some(timed_out)));
            }
            if let Some(status) = child.try_wait()? {
                return Ok((status, None));
            }
        }
    }

    /// Take in a piece of output read at `at`.
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
        // A start line is written without its newline: the test's output or its verdict
        // completes it.
        if self.inflight.is_none() && !self.done {
            let partial = String::from_utf8_lossy(&self.partial).into_owned();
            if let Some((name, "")) = split_start(&partial) {
                self.start(name, at, on);
            }
        }
    }

    fn start(&mut self, name: String, at: Instant, on: &mut dyn FnMut(Progress<'_>)) {
        on(Progress::Started(&name));
        self.inflight = Some(Running {
            name,
            started: at,
            text: String::new(),
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
            return;
        }
        let mut rest = line;
        if let Some((name, after)) = split_start(line) {
            if self.inflight.as_ref().is_none_or(|t| t.name != name) {
                self.start(name, at, on);
            }
            rest = after;
        }
        let Some(running) = &mut self.inflight else {
            // Between tests: libtest's own lines, and the closing list of failures.
            if line == "failures:" || line.starts_with("test result: ") {
                self.done = true;
            }
            return;
        };
        match verdict(rest) {
            Some((outcome, reason)) => {
                let t = self.inflight.take().unwrap_or_else(|| unreachable!());
                self.progress += 1;
                let f = finished(t, outcome, reason, at);
                on(Progress::Finished(&f));
                results.push(f);
            }
            None => {
                running.text.push_str(rest);
                running.text.push('\n');
            }
        }
    }
}

/// A test's outcome: a failing one with its panic message and the rest of what it wrote, an
/// ignored one with its reason.
fn finished(t: Running, outcome: Outcome, reason: Option<String>, at: Instant) -> Finished {
    let (output, message) = match outcome {
        Outcome::Failed => split_panic(&t.text),
        _ => (None, reason),
    };
    Finished {
        duration: at.duration_since(t.started).as_secs_f64(),
        name: t.name,
        outcome,
        message,
        output,
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
    fn starts_verdicts_durations_and_output_are_read_as_they_come() {
        let (started, results, stream) = read(&[
            "\nrunning 3 tests\ntest a ... ",
            "ok\ntest b - should panic ... ",
            "printed\nthread 'b' (7) panicked at src/lib.rs:3:5:\nboom\n",
            "FAILED\ntest c ... ",
            "partial",
        ]);
        assert_eq!(started, ["a", "b", "c"]);
        let got: Vec<(&str, Outcome, u64)> = results
            .iter()
            .map(|f| {
                let ms = (f.duration * 1000.0).round() as u64;
                (f.name.as_str(), f.outcome, ms)
            })
            .collect();
        assert_eq!(
            got,
            [("a", Outcome::Passed, 10), ("b", Outcome::Failed, 20)]
        );
        assert_eq!(results[1].output.as_deref(), Some("printed"));
        assert_eq!(
            results[1].message.as_deref(),
            Some("test panicked at src/lib.rs:3:5:\nboom")
        );
        let c = stream.inflight.as_ref().unwrap();
        assert_eq!(c.name, "c");
    }

    #[test]
    fn the_closing_failures_list_is_not_a_test() {
        let (_, results, stream) = read(&[
            "test a ... ignored, slow\n\nfailures:\n    x\n\ntest result: FAILED. 0 passed\n",
        ]);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].outcome, Outcome::Ignored);
        assert_eq!(results[0].message.as_deref(), Some("slow"));
        assert!(stream.done && stream.inflight.is_none());
    }
}
