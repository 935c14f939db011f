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
use std::time::{Duration, Instant};

use crate::errors::Error;
use crate::execute::binary::{ExecOptions, Finished, Progress};
use crate::execute::libtest_stream::Stream;
use crate::execute::list::runs_ignored;
use crate::execute::pipe::{Next, Pipe};
use crate::execute::process::{Proc, SlowWatch, Tail, io_error, kill};

/// Run `names` of `exe` in one process, following it to its end: each test's start and
/// outcome (a failing one with its message and output) go to `on` as they happen, and the
/// outcomes into `results`. Without `name_them`, `names` are all the binary's tests and the
/// process is started without naming any.
pub(crate) fn spawn(
    exe: &Path,
    opts: &ExecOptions,
    names: &[String],
    name_them: bool,
    on: &mut dyn FnMut(Progress<'_>),
    results: &mut Vec<Finished>,
) -> Result<Proc, Error> {
    let (reader, writer) = std::io::pipe().map_err(io_error("open a pipe for", exe))?;
    let mut cmd = command(exe, opts, if name_them { names } else { &[] });
    let both = writer
        .try_clone()
        .map_err(io_error("open a pipe for", exe))?;
    cmd.stdout(writer).stderr(both);
    let mut child = cmd.spawn().map_err(io_error("start", exe))?;
    // The command holds the pipe's writing ends: dropped, the pipe ends with the child.
    drop(cmd);
    let mut pipe = Pipe::new(reader);
    let mut stream = Stream::new(names, opts.no_capture);
    let first = results.len();
    let mut slow = SlowWatch::new(opts.slow_timeout);
    let limits = (opts.timeout, &mut slow);
    let (status, timed_out) = follow(&mut stream, &mut child, &mut pipe, limits, on, results)
        .map_err(io_error("follow the run of", exe))?;
    // A process the test started may hold the pipe open after the test binary ended: what it
    // wrote so far is read, and the pipe is not waited for longer.
    pipe.drain_within(Duration::from_secs(1), &mut |at, chunk| {
        stream.feed(at, chunk, on, results)
    });
    let output = pipe.into_tail();
    stream.end(on, &mut results[first..]);
    let inflight_output = stream.inflight_output();
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

/// Read until the child exits, or kill it when the test in flight passes `timeout`.
fn follow(
    stream: &mut Stream,
    child: &mut Child,
    pipe: &mut Pipe,
    (timeout, slow): (Option<Duration>, &mut SlowWatch),
    on: &mut dyn FnMut(Progress<'_>),
    results: &mut Vec<Finished>,
) -> std::io::Result<(ExitStatus, Option<(String, f64)>)> {
    // The pipe closes when the child exits, unless a process it started keeps it open: the
    // child's status is asked every `POLL` (not after each read: a wait4 per read would
    // cost a system call per test).
    const POLL: Duration = Duration::from_millis(20);
    let mut asked = Instant::now();
    loop {
        if let Some(t) = &stream.inflight {
            slow.check(&t.name, t.started, on);
        }
        match pipe.next(POLL)? {
            Next::Data(at, chunk) => stream.feed(at, chunk, on, results),
            Next::Idle => {}
            Next::End => return Ok((child.wait()?, None)),
        }
        if let Some(limit) = timeout
            && let Some(t) = &stream.inflight
            && t.started.elapsed() > limit
        {
            let timed_out = (t.name.clone(), t.started.elapsed().as_secs_f64());
            return Ok((kill(child)?, Some(timed_out)));
        }
        if asked.elapsed() >= POLL {
            asked = Instant::now();
            if let Some(status) = child.try_wait()? {
                return Ok((status, None));
            }
        }
    }
}
