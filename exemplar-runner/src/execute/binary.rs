//! Running one test binary and reading what happened to each of its tests.
//!
//! When the process dies with tests in flight (abort, segfault, `process::exit`), or a test
//! runs past the timeout and the runner kills it:
//! - a single test in flight is the culprit: `crashed` (or `timeout`);
//! - several in flight (multi-threaded run): each is re-run alone in a fresh process, which
//!   tells the culprit from the collateral;
//! - tests that had not started yet run in a fresh process (`EXEMPLAR_ONLY`), and so on until
//!   every planned test has an outcome (`EXEMPLAR_ONLY` for an exemplar harness, the names
//!   with `--exact` for libtest). A process that makes no progress ends the loop with the rest
//!   recorded `crashed`, so the runner always terminates.
//!
//! The same loop drives both harnesses: an exemplar harness reports through its events file,
//! a libtest binary through its stdout, one test at a time (see
//! [`libtest_process`](super::libtest_process)), in parallel [`workers`](super::workers).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use exemplar_formats::events::{Plan, TestInfo};
use exemplar_mission::Outcome;

use crate::errors::Error;
use crate::execute::libtest_process;
use crate::execute::list::{Harness, Inventory};
use crate::execute::process::{Proc, spawn};
use crate::execute::workers;

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
    /// Let the tests' output through to the runner's own stdout and stderr as it comes,
    /// instead of capturing it (run one test at a time, so it does not interleave).
    pub no_capture: bool,
    /// Run a failing test again, alone, up to this many times (`--retries`).
    pub retries: u32,
    /// Tell of a test running longer than this, and again at each multiple (`--slow-timeout`).
    pub slow_timeout: Option<Duration>,
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
    /// A test's record, completed after its outcome (the output of a failing test, from a
    /// run of it alone).
    Amended(&'a Finished),
    /// Something the user should know (an event line that could not be read).
    Warning(&'a str),
    /// A test is still running past the slow threshold (told once per threshold passed).
    Slow {
        /// Its name.
        name: &'a str,
        /// How long it has run, in seconds.
        seconds: f64,
    },
}

/// Run every test `inventory` plans to run, in `exe`, to an outcome each.
///
/// They run in worker processes, one test at a time each, as many workers at once as
/// `--test-threads` says (else the machine's cores), as in a whole run's pool.
pub fn run_binary(
    exe: &Path,
    opts: &ExecOptions,
    inventory: &Inventory,
    on: &mut dyn FnMut(Progress<'_>),
) -> Result<(), Error> {
    let mut run = BinaryRun {
        exe,
        opts,
        harness: inventory.harness,
        retries: opts.retries,
        on,
        results: Vec::new(),
    };
    for t in inventory.tests.iter().filter(|t| t.plan == Plan::Ignored) {
        run.record(Finished {
            name: t.name.clone(),
            outcome: Outcome::Ignored,
            duration: 0.0,
            message: t.ignore_reason.clone(),
            output: None,
        });
    }
    let planned: Vec<String> = inventory
        .tests
        .iter()
        .filter(|t| t.plan == Plan::Run)
        .map(|t| t.name.clone())
        .collect();
    if planned.is_empty() {
        return Ok(());
    }
    workers::run(exe, inventory.harness, opts, planned, run.on)
}

/// The harness arguments of a process that runs the tests it is named, ignored or not, one at
/// a time.
pub(crate) fn alone_args() -> [String; 3] {
    ["--include-ignored", "--test-threads", "1"].map(str::to_owned)
}

/// Run test `name` of `exe` in a process of its own, ignored or not.
fn spawn_alone(
    harness: Harness,
    exe: &Path,
    opts: &ExecOptions,
    name: &str,
    on: &mut dyn FnMut(Progress<'_>),
) -> Result<(Proc, Vec<Finished>), Error> {
    let mut ended = Vec::new();
    let only = [name.to_owned()];
    let proc = spawn_any(
        harness,
        exe,
        opts,
        &alone_args(),
        Some(&only),
        on,
        &mut ended,
    )?;
    Ok((proc, ended))
}

/// How many failing tests of one binary are run again alone to capture their output.
pub const OUTPUT_RERUNS: usize = 20;

/// What to say when a binary's harness and this runner are not the same version: which to
/// upgrade, naming both. `None` when they match.
pub fn version_advice(target: &str, harness: Option<&str>, runner: &str) -> Option<String> {
    let parse = |v: &str| -> Vec<u64> {
        v.split(['.', '-', '+'])
            .take(3)
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    match harness {
        Some(h) if h == runner => None,
        Some(h) if parse(h) < parse(runner) => Some(format!(
            "{target}'s tests were built with exemplar {h}, this cargo-exemplar is {runner}: upgrade the exemplar dev-dependency to {runner}"
        )),
        Some(h) => Some(format!(
            "{target}'s tests were built with exemplar {h}, this cargo-exemplar is {runner}: upgrade cargo-exemplar to {h}"
        )),
        None => Some(format!(
            "{target}'s tests were built with an exemplar older than this cargo-exemplar ({runner}): upgrade the exemplar dev-dependency to {runner}"
        )),
    }
}

/// One binary's run in progress (or one worker's share of it): every outcome goes to `on`
/// and into `results`.
pub(crate) struct BinaryRun<'a> {
    pub(crate) exe: &'a Path,
    pub(crate) opts: &'a ExecOptions,
    pub(crate) harness: Harness,
    /// Run a failing test again, alone, up to this many times.
    pub(crate) retries: u32,
    pub(crate) on: &'a mut dyn FnMut(Progress<'_>),
    pub(crate) results: Vec<Finished>,
}

/// Start one process of `exe` with `harness` and follow it to its end. `only` narrows it to
/// those tests (a libtest process always runs exactly the tests named).
fn spawn_any(
    harness: Harness,
    exe: &Path,
    opts: &ExecOptions,
    args: &[String],
    only: Option<&[String]>,
    on: &mut dyn FnMut(Progress<'_>),
    results: &mut Vec<Finished>,
) -> Result<Proc, Error> {
    match harness {
        Harness::Exemplar => spawn(exe, opts, args, only, false, on, results),
        Harness::Libtest => {
            let names = only.unwrap_or(&[]);
            libtest_process::spawn(exe, opts, names, true, on, results)
        }
    }
}

impl BinaryRun<'_> {
    fn record(&mut self, f: Finished) {
        (self.on)(Progress::Finished(&f));
        self.results.push(f);
    }

    pub(crate) fn spawn(
        &mut self,
        args: &[String],
        only: Option<&[String]>,
    ) -> Result<Proc, Error> {
        spawn_any(
            self.harness,
            self.exe,
            self.opts,
            args,
            only,
            self.on,
            &mut self.results,
        )
    }

    /// Start a libtest process of all the binary's tests without naming them (they are
    /// `every` test it has), and follow it to its end.
    pub(crate) fn spawn_unnamed(&mut self, every: &[String]) -> Result<Proc, Error> {
        let (exe, opts) = (self.exe, self.opts);
        libtest_process::spawn(exe, opts, every, false, self.on, &mut self.results)
    }

    /// Run processes until every planned test has an outcome: after each process that died,
    /// blame its death, then run the tests that had not started in a fresh one, with
    /// `threads` test threads.
    pub(crate) fn until_done(
        &mut self,
        first: Proc,
        planned: &[String],
        threads: Option<&str>,
    ) -> Result<(), Error> {
        let mut proc = first;
        loop {
            let inflight = self.blame(&proc)?;
            let done: HashSet<&str> = self.results.iter().map(|r| r.name.as_str()).collect();
            let remaining: Vec<String> = planned
                .iter()
                .filter(|n| !done.contains(n.as_str()))
                .cloned()
                .collect();
            if remaining.is_empty() {
                return Ok(());
            }
            if proc.progress == 0 && inflight == 0 && proc.timed_out.is_none() {
                // The process ran nothing and named no culprit: do not loop forever.
                for name in remaining {
                    self.record(Finished {
                        name,
                        outcome: Outcome::Crashed,
                        duration: 0.0,
                        message: Some(format!(
                            "the test process {} before running this test",
                            proc.status_text()
                        )),
                        output: Some(proc.output()),
                    });
                }
                return Ok(());
            }
            let mut args = vec!["--include-ignored".to_owned()];
            if let Some(t) = threads {
                args.extend(["--test-threads".to_owned(), t.to_owned()]);
            }
            proc = self.spawn(&args, Some(&remaining))?;
        }
    }

    /// Record what an ended process's tests in flight came to: the one past the timeout, the
    /// single culprit of a crash, or, with several in flight, each re-run alone. Returns how
    /// many were in flight besides a timed-out one.
    fn blame(&mut self, proc: &Proc) -> Result<usize, Error> {
        let mut timed_out = None;
        if let Some((name, secs)) = &proc.timed_out {
            self.record(self.timeout(name, *secs, proc.output()));
            timed_out = Some(name.as_str());
        }
        let inflight: Vec<String> = proc
            .inflight
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| Some(n.as_str()) != timed_out)
            .collect();
        if inflight.len() == 1 && timed_out.is_none() {
            self.record(Finished {
                name: inflight[0].clone(),
                outcome: Outcome::Crashed,
                duration: proc.inflight[0].1.elapsed().as_secs_f64(),
                message: Some(format!("the test process {}", proc.status_text())),
                output: Some(proc.output()),
            });
        } else {
            // Several in flight: only a run alone tells who brought the process down.
            for name in &inflight {
                self.alone(name)?;
            }
        }
        Ok(inflight.len())
    }

    fn timeout(&self, name: &str, secs: f64, output: String) -> Finished {
        Finished {
            name: name.to_owned(),
            outcome: Outcome::Timeout,
            duration: secs,
            message: Some(format!(
                "ran longer than the {:.1}s timeout and was killed",
                self.opts.timeout.map(|t| t.as_secs_f64()).unwrap_or(0.0)
            )),
            output: Some(output),
        }
    }

    /// Run test `name` in a process of its own; what the process came to, and the outcomes it
    /// reported (to `on`, and returned).
    pub(crate) fn spawn_alone(
        &mut self,
        name: &str,
        on: &mut dyn FnMut(Progress<'_>),
    ) -> Result<(Proc, Vec<Finished>), Error> {
        spawn_alone(self.harness, self.exe, self.opts, name, on)
    }

    /// In-process, tests share a process, so a failing test's own output is unknown when its
    /// outcome is recorded (at once, so a killed run keeps it). Each failing test is then run
    /// once more alone, and its record amended with the output of that run; `captured`
    /// counts the binary's tests run so, across its batches.
    pub(crate) fn capture_failures(&mut self, captured: &AtomicUsize) -> Result<(), Error> {
        let failed: Vec<usize> = (0..self.results.len())
            .filter(|i| {
                let r = &self.results[*i];
                r.outcome == Outcome::Failed && r.output.is_none()
            })
            .collect();
        for i in failed {
            let nth = captured.fetch_add(1, Ordering::Relaxed);
            let name = self.results[i].name.clone();
            if let Some(output) = self.output_of(&name, nth)? {
                self.results[i].output = Some(output);
                (self.on)(Progress::Amended(&self.results[i]));
            }
        }
        Ok(())
    }

    /// The output of failing test `name` (the `nth` of its binary), from a run of it alone:
    /// what it printed, under a line saying so and how that run ended (`None` when it failed
    /// again and printed nothing).
    fn output_of(&mut self, name: &str, nth: usize) -> Result<Option<String>, Error> {
        if nth >= OUTPUT_RERUNS {
            return Ok(Some(format!(
                "(not captured: more than {OUTPUT_RERUNS} tests of this binary failed; run with --isolate to capture each test's output)"
            )));
        }
        let (proc, ended) = self.spawn_alone(name, &mut |_| {})?;
        let again = ended.iter().find(|r| r.name == name).map(|r| r.outcome);
        let output = proc.output();
        if again == Some(Outcome::Failed) && output.is_empty() {
            return Ok(None);
        }
        let how = match again {
            Some(Outcome::Failed) => "it failed again".to_owned(),
            Some(o) => format!("it {o} this time: the failure may depend on other tests"),
            None => format!("its process {}", proc.status_text()),
        };
        Ok(Some(format!(
            "(captured from a run of this test alone; {how})\n{output}"
        )))
    }

    /// Run one test in a process of its own; record its outcome, whatever happens, with the
    /// process's output (all of it is this test's).
    pub(crate) fn alone(&mut self, name: &str) -> Result<(), Error> {
        // Its outcome is held back until the process has ended and its output is known; a
        // re-run's inventory is not news to the caller.
        let on = &mut *self.on;
        let mut quiet = |p: Progress<'_>| {
            if matches!(
                p,
                Progress::Started(_) | Progress::Warning(_) | Progress::Slow { .. }
            ) {
                on(p);
            }
        };
        let (proc, ended) = spawn_alone(self.harness, self.exe, self.opts, name, &mut quiet)?;
        let output = proc.output();
        let f = match ended.into_iter().find(|r| r.name == name) {
            Some(f) => Finished {
                output: Some(output),
                ..f
            },
            None => match &proc.timed_out {
                Some((_, secs)) => self.timeout(name, *secs, output),
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
            },
        };
        self.record(f);
        Ok(())
    }
}

/// `args` without `--test-threads N`, and that flag (how many run at once is each run's own
/// choice).
pub(crate) fn split_threads(args: &[String]) -> (Vec<String>, Vec<String>) {
    let (mut rest, mut threads) = (Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--test-threads" {
            threads.push(a.clone());
            threads.extend(it.next().cloned());
        } else if a.starts_with("--test-threads=") {
            threads.push(a.clone());
        } else {
            rest.push(a.clone());
        }
    }
    (rest, threads)
}

pub(crate) fn test_threads(args: &[String]) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_mismatch_says_which_side_to_upgrade() {
        assert_eq!(version_advice("kv", Some("0.1.0"), "0.1.0"), None);
        let older = version_advice("kv", Some("0.1.0"), "0.2.0").unwrap();
        assert!(
            older.contains("upgrade the exemplar dev-dependency to 0.2.0"),
            "{older}"
        );
        let newer = version_advice("kv", Some("0.10.0"), "0.9.1").unwrap();
        assert!(
            newer.contains("upgrade cargo-exemplar to 0.10.0"),
            "{newer}"
        );
        let silent = version_advice("kv", None, "0.2.0").unwrap();
        assert!(
            silent.contains("older than this cargo-exemplar (0.2.0)"),
            "{silent}"
        );
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
