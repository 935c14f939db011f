//! Running one test binary and reading what happened to each of its tests.
//!
//! The binary is started with `EXEMPLAR_EVENTS` naming a fresh file; the harness appends one
//! JSON line per event. The runner reads the file as it grows (polling, so it works on every
//! platform and loses nothing when the child dies: complete lines are in the file).
//!
//! When the process dies with tests in flight (abort, segfault, `process::exit`), or a test
//! runs past the timeout and the runner kills it:
//! - a single test in flight is the culprit: `crashed` (or `timeout`);
//! - several in flight (multi-threaded run): each is re-run alone in a fresh process, which
//!   tells the culprit from the collateral;
//! - tests that had not started yet run in a fresh process (`EXEMPLAR_ONLY`), and so on until
//!   every planned test has an outcome. A process that makes no progress ends the loop with
//!   the rest recorded `crashed`, so the runner always terminates.
//!
//! A binary that never writes an inventory is not an exemplar harness: it is treated as a
//! plain libtest binary, its pass/fail counted but not linked to any directive.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use exemplar_formats::events::{self, Event, Plan, TestInfo};
use exemplar_mission::Outcome;

use crate::errors::Error;

/// How to run binaries.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// Arguments for the harness (after `--`).
    pub harness_args: Vec<String>,
    /// `EXEMPLAR_DESIGN`: comma-separated ids (already expanded to subtrees).
    pub design: Option<String>,
    /// One process per test.
    pub isolate: bool,
    /// Per-test time limit.
    pub timeout: Option<Duration>,
    /// Extra environment (CARGO_MANIFEST_DIR and friends, as `cargo test` sets them).
    pub env: Vec<(String, String)>,
    /// Working directory (the package root, as under `cargo test`).
    pub cwd: PathBuf,
    /// A private folder for events files.
    pub scratch: PathBuf,
}

impl ExecOptions {
    /// Options for the binaries of the package at `dir` named `name`, run as `cargo test`
    /// runs them (in the package folder, with `CARGO_MANIFEST_DIR` and `CARGO_PKG_NAME`), with
    /// events files in `scratch`; nothing else set.
    pub fn for_package(dir: &Path, name: &str, scratch: &Path) -> ExecOptions {
        ExecOptions {
            env: vec![
                ("CARGO_MANIFEST_DIR".into(), dir.display().to_string()),
                ("CARGO_PKG_NAME".into(), name.to_owned()),
            ],
            cwd: dir.to_owned(),
            scratch: scratch.to_owned(),
            ..ExecOptions::default()
        }
    }
}

/// A private temporary folder for events files, removed when dropped.
pub fn scratch_dir() -> Result<tempfile::TempDir, Error> {
    tempfile::Builder::new()
        .prefix("exemplar-run-")
        .tempdir()
        .map_err(|source| Error::Io {
            action: "create a temporary folder in",
            path: std::env::temp_dir(),
            source,
        })
}

/// A test's outcome as this module determined it.
#[derive(Debug, Clone)]
pub struct Finished {
    /// libtest name.
    pub name: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Seconds.
    pub duration: f64,
    /// Failure message.
    pub message: Option<String>,
    /// Captured output, when known to belong to this test alone or to its crashed process.
    pub output: Option<String>,
}

/// What the caller hears while a binary runs.
pub enum Progress<'a> {
    /// The binary listed its tests.
    Inventory(&'a [TestInfo]),
    /// A test started.
    Started(&'a str),
    /// A test has its outcome.
    Finished(&'a Finished),
}

/// What running a binary came to.
#[derive(Debug)]
pub enum BinaryResult {
    /// An exemplar harness: its inventory and an outcome for every test planned to run.
    Exemplar {
        /// Every test of the binary, with its plan.
        inventory: Vec<TestInfo>,
        /// Outcomes, in arrival order (ignored tests included).
        results: Vec<Finished>,
    },
    /// A plain libtest binary (no inventory).
    Plain {
        /// It exited 0.
        success: bool,
        /// From its `test result:` lines.
        passed: usize,
        /// From its `test result:` lines.
        failed: usize,
        /// How it exited.
        status: String,
    },
    /// The binary died before listing its tests.
    Died {
        /// How it exited.
        status: String,
        /// Its last output.
        output: String,
    },
}

const TAIL: usize = 256 * 1024;
static SEQ: AtomicU64 = AtomicU64::new(0);

/// Run one binary to completion.
pub fn run_binary(
    exe: &Path,
    opts: &ExecOptions,
    on: &mut dyn FnMut(Progress<'_>),
) -> Result<BinaryResult, Error> {
    let threads = test_threads(&opts.harness_args);
    let mut results: Vec<Finished> = Vec::new();
    let first = if opts.isolate {
        spawn(exe, opts, &opts.harness_args, None, true, on, &mut results)?
    } else {
        spawn(exe, opts, &opts.harness_args, None, false, on, &mut results)?
    };
    let Some(inventory) = first.inventory.clone() else {
        return Ok(classify_without_inventory(&first));
    };
    for t in inventory.iter().filter(|t| t.plan == Plan::Ignored) {
        let f = Finished {
            name: t.name.clone(),
            outcome: Outcome::Ignored,
            duration: 0.0,
            message: t.ignore_reason.clone(),
            output: None,
        };
        on(Progress::Finished(&f));
        results.push(f);
    }
    let planned: Vec<String> = inventory
        .iter()
        .filter(|t| t.plan == Plan::Run)
        .map(|t| t.name.clone())
        .collect();

    if opts.isolate {
        for name in &planned {
            run_alone(exe, opts, name, on, &mut results)?;
        }
        return Ok(BinaryResult::Exemplar { inventory, results });
    }

    let mut proc = first;
    loop {
        let mut handled: HashSet<String> = HashSet::new();
        if let Some((name, secs)) = &proc.timed_out {
            let f = Finished {
                name: name.clone(),
                outcome: Outcome::Timeout,
                duration: *secs,
                message: Some(format!(
                    "ran longer than the {:.1}s timeout and was killed",
                    opts.timeout.map(|t| t.as_secs_f64()).unwrap_or(0.0)
                )),
                output: Some(proc.output()),
            };
            on(Progress::Finished(&f));
            results.push(f);
            handled.insert(name.clone());
        }
        let inflight: Vec<String> = proc
            .inflight
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| !handled.contains(n))
            .collect();
        if inflight.len() == 1 && proc.timed_out.is_none() {
            let f = Finished {
                name: inflight[0].clone(),
                outcome: Outcome::Crashed,
                duration: proc.inflight[0].1.elapsed().as_secs_f64(),
                message: Some(format!("the test process {}", proc.status_text())),
                output: Some(proc.output()),
            };
            on(Progress::Finished(&f));
            results.push(f);
        } else {
            // Several in flight: only a run alone tells who brought the process down.
            for name in &inflight {
                run_alone(exe, opts, name, on, &mut results)?;
            }
        }
        let done: HashSet<&str> = results.iter().map(|r| r.name.as_str()).collect();
        let remaining: Vec<String> = planned
            .iter()
            .filter(|n| !done.contains(n.as_str()))
            .cloned()
            .collect();
        if remaining.is_empty() {
            break;
        }
        if proc.progress == 0 && inflight.is_empty() && proc.timed_out.is_none() {
            // The process ran nothing and named no culprit: do not loop forever.
            for name in remaining {
                let f = Finished {
                    name,
                    outcome: Outcome::Crashed,
                    duration: 0.0,
                    message: Some(format!(
                        "the test process {} before running this test",
                        proc.status_text()
                    )),
                    output: Some(proc.output()),
                };
                on(Progress::Finished(&f));
                results.push(f);
            }
            break;
        }
        let mut args = vec!["--include-ignored".to_owned()];
        if let Some(t) = &threads {
            args.extend(["--test-threads".to_owned(), t.clone()]);
        }
        proc = spawn(exe, opts, &args, Some(&remaining), false, on, &mut results)?;
    }
    Ok(BinaryResult::Exemplar { inventory, results })
}

/// Run one test in a process of its own; record its outcome, whatever happens.
fn run_alone(
    exe: &Path,
    opts: &ExecOptions,
    name: &str,
    on: &mut dyn FnMut(Progress<'_>),
    results: &mut Vec<Finished>,
) -> Result<(), Error> {
    let before = results.len();
    let args = [
        "--include-ignored".to_owned(),
        "--test-threads".to_owned(),
        "1".to_owned(),
    ];
    let proc = spawn_quiet(exe, opts, &args, &[name.to_owned()], on, results)?;
    let output = proc.output();
    if let Some(r) = results[before..].iter_mut().find(|r| r.name == name) {
        r.output = Some(output);
        return Ok(());
    }
    let f = match &proc.timed_out {
        Some((_, secs)) => Finished {
            name: name.to_owned(),
            outcome: Outcome::Timeout,
            duration: *secs,
            message: Some(format!(
                "ran longer than the {:.1}s timeout and was killed",
                opts.timeout.map(|t| t.as_secs_f64()).unwrap_or(0.0)
            )),
            output: Some(output),
        },
        None => Finished {
            name: name.to_owned(),
            outcome: Outcome::Crashed,
            duration: proc
                .inflight
                .first()
                .map(|(_, t)| t.elapsed().as_secs_f64())
                .unwrap_or(0.0),
            message: Some(format!("the test process {}", proc.status_text())),
            output: Some(output),
        },
    };
    on(Progress::Finished(&f));
    results.push(f);
    Ok(())
}

fn spawn_quiet(
    exe: &Path,
    opts: &ExecOptions,
    args: &[String],
    only: &[String],
    on: &mut dyn FnMut(Progress<'_>),
    results: &mut Vec<Finished>,
) -> Result<Proc, Error> {
    // A re-run's inventory is not news to the caller.
    let mut filtered = |p: Progress<'_>| {
        if !matches!(p, Progress::Inventory(_)) {
            on(p);
        }
    };
    spawn(exe, opts, args, Some(only), false, &mut filtered, results)
}

fn classify_without_inventory(p: &Proc) -> BinaryResult {
    let normal = matches!(p.status.code(), Some(0 | 101));
    if normal {
        let (passed, failed) = libtest_counts(&p.stdout.text());
        BinaryResult::Plain {
            success: p.status.success(),
            passed,
            failed,
            status: p.status_text(),
        }
    } else {
        BinaryResult::Died {
            status: p.status_text(),
            output: p.output(),
        }
    }
}

/// Sum of `test result: ... N passed; M failed` lines.
fn libtest_counts(stdout: &str) -> (usize, usize) {
    let mut passed = 0;
    let mut failed = 0;
    for line in stdout.lines().filter(|l| l.starts_with("test result:")) {
        for part in line.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let n: usize = n.parse().unwrap_or(0);
            match what {
                "passed" => passed += n,
                "failed" => failed += n,
                _ => {}
            }
        }
    }
    (passed, failed)
}

fn test_threads(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--test-threads" {
            return it.next().cloned();
        }
        if let Some(v) = a.strip_prefix("--test-threads=") {
            return Some(v.to_owned());
        }
    }
    None
}

/// The last bytes of a stream, collected by a thread.
pub(crate) struct Tail {
    buf: Arc<Mutex<Vec<u8>>>,
    handle: Option<JoinHandle<()>>,
}

impl Tail {
    fn start(mut r: impl Read + Send + 'static) -> Tail {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let b = buf.clone();
        let handle = thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = r.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut v = b.lock().unwrap_or_else(|e| e.into_inner());
                v.extend_from_slice(&chunk[..n]);
                if v.len() > 2 * TAIL {
                    let cut = v.len() - TAIL;
                    v.drain(..cut);
                }
            }
        });
        Tail {
            buf,
            handle: Some(handle),
        }
    }

    fn join(&mut self) {
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }

    pub(crate) fn text(&self) -> String {
        let v = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        let start = v.len().saturating_sub(TAIL);
        String::from_utf8_lossy(&v[start..]).into_owned()
    }
}

/// One process, after it ended.
pub(crate) struct Proc {
    pub(crate) inventory: Option<Vec<TestInfo>>,
    inflight: Vec<(String, Instant)>,
    /// Tests that finished in this process.
    progress: usize,
    pub(crate) status: ExitStatus,
    timed_out: Option<(String, f64)>,
    pub(crate) stdout: Tail,
    stderr: Tail,
}

impl Proc {
    pub(crate) fn status_text(&self) -> String {
        describe_status(&self.status, self.timed_out.is_some())
    }

    pub(crate) fn output(&self) -> String {
        let out = self.stdout.text();
        let err = self.stderr.text();
        let mut s = String::new();
        if !out.trim().is_empty() {
            s.push_str("--- stdout ---\n");
            s.push_str(&out);
            if !out.ends_with('\n') {
                s.push('\n');
            }
        }
        if !err.trim().is_empty() {
            s.push_str("--- stderr ---\n");
            s.push_str(&err);
        }
        s
    }
}

/// How a process ended, in words.
pub fn describe_status(status: &ExitStatus, killed_by_us: bool) -> String {
    if killed_by_us {
        return "was killed after the timeout".to_owned();
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                4 => " (SIGILL)",
                6 => " (SIGABRT)",
                7 => " (SIGBUS)",
                8 => " (SIGFPE)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                15 => " (SIGTERM)",
                _ => "",
            };
            return format!("was killed by signal {sig}{name}");
        }
    }
    match status.code() {
        Some(c) => format!("exited with code {c}"),
        None => "ended".to_owned(),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn spawn(
    exe: &Path,
    opts: &ExecOptions,
    args: &[String],
    only: Option<&[String]>,
    inventory_only: bool,
    on: &mut dyn FnMut(Progress<'_>),
    results: &mut Vec<Finished>,
) -> Result<Proc, Error> {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let events_path = opts.scratch.join(format!("events-{n}.jsonl"));
    let io = |action: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    File::create(&events_path).map_err(io("create", &events_path))?;
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .current_dir(&opts.cwd)
        .env(events::ENV_EVENTS, &events_path)
        .env_remove(events::ENV_ONLY)
        .env_remove(events::ENV_INVENTORY_ONLY)
        .env_remove(events::ENV_DESIGN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    if let Some(d) = &opts.design {
        cmd.env(events::ENV_DESIGN, d);
    }
    if inventory_only {
        cmd.env(events::ENV_INVENTORY_ONLY, "1");
    }
    if let Some(names) = only {
        let only_path = opts.scratch.join(format!("only-{n}.txt"));
        std::fs::write(&only_path, names.join("\n")).map_err(io("write", &only_path))?;
        cmd.env(events::ENV_ONLY, &only_path);
    }
    let mut child = cmd.spawn().map_err(io("start", exe))?;
    let mut stdout = Tail::start(child.stdout.take().expect("piped"));
    let mut stderr = Tail::start(child.stderr.take().expect("piped"));
    let mut reader = File::open(&events_path).map_err(io("open", &events_path))?;

    let mut state = Reading {
        exe,
        inventory: None,
        inflight: Vec::new(),
        progress: 0,
        pending: Vec::new(),
    };
    let mut nap = Duration::from_millis(1);
    let mut timed_out = None;
    let status = loop {
        let got = state
            .pump(&mut reader, on, results)
            .map_err(io("read", &events_path))?;
        if let Some(status) = child.try_wait().map_err(io("wait for", exe))? {
            state
                .pump(&mut reader, on, results)
                .map_err(io("read", &events_path))?;
            break status;
        }
        if let Some(limit) = opts.timeout
            && let Some((name, t0)) = state.inflight.iter().find(|(_, t0)| t0.elapsed() > limit)
        {
            timed_out = Some((name.clone(), t0.elapsed().as_secs_f64()));
            let status = kill(&mut child).map_err(io("kill", exe))?;
            state
                .pump(&mut reader, on, results)
                .map_err(io("read", &events_path))?;
            break status;
        }
        nap = if got {
            Duration::from_millis(1)
        } else {
            (nap * 2).min(Duration::from_millis(20))
        };
        thread::sleep(nap);
    };
    stdout.join();
    stderr.join();
    if let Some(err) = state.protocol_error() {
        return Err(err);
    }
    let _ = std::fs::remove_file(&events_path);
    Ok(Proc {
        inventory: state.inventory.map(|(_, t)| t),
        inflight: state.inflight,
        progress: state.progress,
        status,
        timed_out,
        stdout,
        stderr,
    })
}

fn kill(child: &mut Child) -> std::io::Result<ExitStatus> {
    let _ = child.kill();
    child.wait()
}

struct Reading<'a> {
    exe: &'a Path,
    inventory: Option<(u32, Vec<TestInfo>)>,
    inflight: Vec<(String, Instant)>,
    progress: usize,
    pending: Vec<u8>,
}

impl Reading<'_> {
    /// Read what the file has grown by and handle every complete line. True if anything came.
    fn pump(
        &mut self,
        reader: &mut File,
        on: &mut dyn FnMut(Progress<'_>),
        results: &mut Vec<Finished>,
    ) -> std::io::Result<bool> {
        let before = self.pending.len();
        reader.read_to_end(&mut self.pending)?;
        if self.pending.len() == before {
            return Ok(false);
        }
        let mut consumed = 0;
        while let Some(nl) = self.pending[consumed..].iter().position(|b| *b == b'\n') {
            let line = String::from_utf8_lossy(&self.pending[consumed..consumed + nl]).into_owned();
            consumed += nl + 1;
            self.handle(&line, on, results);
        }
        self.pending.drain(..consumed);
        Ok(true)
    }

    fn handle(
        &mut self,
        line: &str,
        on: &mut dyn FnMut(Progress<'_>),
        results: &mut Vec<Finished>,
    ) {
        let event = match events::parse_line(line) {
            Ok(Some(e)) => e,
            Ok(None) => return,
            Err(e) => {
                eprintln!(
                    "warning: {}: unreadable event line ({e}): {line}",
                    self.exe.display()
                );
                return;
            }
        };
        match event {
            Event::Inventory { protocol, tests } => {
                if protocol <= events::PROTOCOL {
                    on(Progress::Inventory(&tests));
                }
                self.inventory = Some((protocol, tests));
            }
            Event::Started { name } => {
                on(Progress::Started(&name));
                self.inflight.push((name, Instant::now()));
            }
            Event::Finished {
                name,
                outcome,
                duration,
                message,
            } => {
                self.inflight.retain(|(n, _)| *n != name);
                self.progress += 1;
                let f = Finished {
                    name,
                    outcome,
                    duration,
                    message,
                    output: None,
                };
                on(Progress::Finished(&f));
                results.push(f);
            }
        }
    }

    fn protocol_error(&self) -> Option<Error> {
        match &self.inventory {
            Some((p, _)) if *p > events::PROTOCOL => Some(Error::Protocol {
                binary: self.exe.display().to_string(),
                found: *p,
                known: events::PROTOCOL,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_summary_lines_are_counted() {
        let out = "running 3 tests\n...\ntest result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\ntest result: ok. 4 passed; 0 failed; 1 ignored\n";
        assert_eq!(libtest_counts(out), (6, 1));
    }

    #[test]
    fn test_threads_is_found_in_both_spellings() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            test_threads(&a(&["x", "--test-threads", "3"])),
            Some("3".into())
        );
        assert_eq!(test_threads(&a(&["--test-threads=2"])), Some("2".into()));
        assert_eq!(test_threads(&a(&["--exact"])), None);
    }
}
