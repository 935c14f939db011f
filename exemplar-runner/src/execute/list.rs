//! Listing a test binary's tests without running any of them.
//!
//! An exemplar harness started with `EXEMPLAR_INVENTORY_ONLY=1` writes its inventory (every
//! registered test, its design ids, and its plan under the given filters) and exits. Any
//! other binary is asked for a libtest listing (`--list`): its `name: test` lines name its
//! untagged tests; asked once with the filters and once without, it tells which would run.

use std::path::Path;

use exemplar_formats::events::{Plan, TestInfo};

use crate::errors::Error;
use crate::execute::binary::ExecOptions;
use crate::execute::process as exec;

/// What a binary says about its tests.
#[derive(Debug, Clone)]
pub enum Listing {
    /// An exemplar harness: every registered test, with its links and its plan.
    Exemplar(Vec<TestInfo>),
    /// A libtest binary: the name and plan of each test (no links).
    Libtest(Vec<(String, Plan)>),
    /// The binary could not list its tests.
    Failed {
        /// How it exited.
        status: String,
        /// What it printed.
        output: String,
    },
}

/// The harness arguments that choose tests (filters, `--exact`, `--skip`, `--ignored`,
/// `--include-ignored`), without those that ask for something else (`--list`, `--format`,
/// `--help`, and the libtest output options that listing has no use for).
pub fn selecting_args(harness_args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = harness_args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--list" | "--help" | "-h" | "--nocapture" | "--no-capture" | "--show-output"
            | "-q" | "--quiet" => {}
            "--format" | "--color" | "--test-threads" | "--logfile" => {
                it.next();
            }
            _ if a.starts_with("--format=")
                || a.starts_with("--color=")
                || a.starts_with("--test-threads=")
                || a.starts_with("--logfile=") => {}
            _ => out.push(a.clone()),
        }
    }
    out
}

/// List the tests of `exe` under `harness_args` (only the selecting ones are used).
pub fn list_binary(
    exe: &Path,
    opts: &ExecOptions,
    harness_args: &[String],
) -> Result<Listing, Error> {
    let selecting = selecting_args(harness_args);
    let mut args = vec!["--list".to_owned()];
    args.extend(selecting.iter().cloned());
    let proc = exec::spawn(exe, opts, &args, None, true, &mut |_| {}, &mut Vec::new())?;
    if let Some(inventory) = proc.inventory {
        return Ok(Listing::Exemplar(inventory));
    }
    if !proc.status.success() {
        return Ok(Listing::Failed {
            status: proc.status_text(),
            output: proc.output(),
        });
    }
    let selected = libtest_names(&proc.stdout.text());
    if selecting.is_empty() {
        return Ok(Listing::Libtest(
            selected.into_iter().map(|n| (n, Plan::Run)).collect(),
        ));
    }
    let every = ["--list".to_owned()];
    let all = exec::spawn(exe, opts, &every, None, true, &mut |_| {}, &mut Vec::new())?;
    let tests = libtest_names(&all.stdout.text())
        .into_iter()
        .map(|n| {
            let plan = if selected.contains(&n) {
                Plan::Run
            } else {
                Plan::Filtered
            };
            (n, plan)
        })
        .collect();
    Ok(Listing::Libtest(tests))
}

/// The test names of a libtest `--list` output (`name: test` lines; benchmarks are left out).
pub fn libtest_names(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_listings_are_read() {
        let out = "tests::a: test\ntests::b: test\nbench_x: benchmark\n\n2 tests, 1 benchmark\n";
        assert_eq!(libtest_names(out), ["tests::a", "tests::b"]);
    }

    #[test]
    fn only_selecting_arguments_are_kept() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            selecting_args(&a(&[
                "--list",
                "--format",
                "terse",
                "foo",
                "--exact",
                "--test-threads=2",
                "--skip",
                "bar",
                "--nocapture"
            ])),
            a(&["foo", "--exact", "--skip", "bar"])
        );
    }
}
