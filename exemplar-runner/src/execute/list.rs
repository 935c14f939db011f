//! Listing a test binary's tests without running any of them: its [`Inventory`].
//!
//! - An exemplar harness started with `EXEMPLAR_INVENTORY_ONLY=1` writes its inventory (every
//!   registered test, its design ids, and its plan under the given filters) and exits.
//! - Any other binary is a libtest harness: asked for `--list` (with the filters, without
//!   them, and with `--ignored`), it names its tests and tells which would run; the link
//!   records it carries (see [`links`](super::links)) tell which verify which directives.
//!
//! Either way, a link record that names no test of the binary's harness is a test that is
//! compiled but that nothing runs: it is listed as *stranded*.

use std::collections::HashSet;
use std::path::Path;

use exemplar_formats::events::{Plan, TestInfo};
use exemplar_formats::links::LinkIndex;

use crate::errors::Error;
use crate::execute::binary::ExecOptions;
use crate::execute::links::{read_links, resolve};
use crate::execute::process as exec;
use crate::execute::strays::{stranded, untagged_strays};

/// Which harness a test binary has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Harness {
    /// `exemplar::main!()`: speaks the event protocol.
    Exemplar,
    /// Rust's default test harness.
    Libtest,
}

impl Harness {
    /// `exemplar` or `libtest`.
    pub fn as_str(self) -> &'static str {
        match self {
            Harness::Exemplar => "exemplar",
            Harness::Libtest => "libtest",
        }
    }
}

/// Every test of a binary, before it runs.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The binary's harness.
    pub harness: Harness,
    /// Its tests, with their links and their plan in this run.
    pub tests: Vec<TestInfo>,
    /// Tagged functions compiled into the binary that its harness does not run.
    pub stranded: Vec<TestInfo>,
    /// The `exemplar` version an exemplar harness reported.
    pub harness_version: Option<String>,
    /// Why the binary's link records could not be read (its tests then run untagged).
    pub links_error: Option<String>,
}

/// What a binary says about its tests.
#[derive(Debug, Clone)]
pub enum Listing {
    /// It listed them.
    Listed(Inventory),
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
            "--format" | "--color" | "--test-threads" | "--logfile" | "-Z" | "--shuffle-seed" => {
                it.next();
            }
            _ if a.starts_with("--format=")
                || a.starts_with("--color=")
                || a.starts_with("--test-threads=")
                || a.starts_with("--logfile=")
                || a.starts_with("--shuffle-seed=")
                || a.starts_with("-Z") => {}
            _ => out.push(a.clone()),
        }
    }
    out
}

/// List the tests of `exe` (built from the target whose source file is `src_path`) under
/// `harness_args` (only the selecting ones are used) and `opts.design`.
///
/// With `for_run`, a libtest binary is not asked which of its tests are ignored: they are
/// planned to run, and libtest reports them `ignored` (with the reason) when they do.
pub fn list_binary(
    exe: &Path,
    src_path: &Path,
    opts: &ExecOptions,
    harness_args: &[String],
    for_run: bool,
) -> Result<Listing, Error> {
    let selecting = selecting_args(harness_args);
    let mut args = vec!["--list".to_owned()];
    args.extend(selecting.iter().cloned());
    let proc = exec::spawn(exe, opts, &args, None, true, &mut |_| {}, &mut Vec::new())?;
    let (mut links, mut links_error) = match read_links(exe) {
        Ok(links) => (links, None),
        Err(e) => (Vec::new(), Some(format!("{e}; its tests run as untagged"))),
    };
    // Records without their module path are placed among the tests the binary lists.
    let mut place_links = |names: &[String], located: &[TestInfo]| {
        let problems = resolve(&mut links, names, located, &crate_name(exe), src_path);
        if !problems.is_empty() {
            links_error = Some(problems.join("\n"));
        }
    };
    let design: Option<Vec<String>> = opts
        .design
        .as_deref()
        .map(|d| d.split(',').map(str::to_owned).collect());
    if let Some(tests) = proc.inventory {
        place_links(
            &tests.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            &tests,
        );
        let mut stranded = stranded(&links, &tests, &selecting, design.as_deref());
        if design.is_none() {
            stranded.extend(untagged_strays(src_path, &selecting));
        }
        return Ok(Listing::Listed(Inventory {
            harness: Harness::Exemplar,
            tests,
            stranded,
            harness_version: proc.harness_version,
            links_error,
        }));
    }
    if !proc.status.success() {
        return Ok(Listing::Failed {
            status: proc.status_text(),
            output: proc.output(),
        });
    }
    let selected = libtest_names(&proc.stdout.text());
    let all = if selecting.is_empty() {
        selected.clone()
    } else {
        list_libtest(exe, opts, &[])?
    };
    let ignored = if for_run {
        Vec::new()
    } else {
        list_libtest(exe, opts, &["--ignored"])?
    };
    place_links(&all, &[]);
    let plan = LibtestPlan {
        selected: selected.into_iter().collect(),
        ignored: ignored.into_iter().collect(),
        run_ignored: runs_ignored(&selecting),
        design: design.clone(),
    };
    let file = src_path.to_string_lossy();
    let index = LinkIndex::new(&links);
    let tests: Vec<TestInfo> = all
        .into_iter()
        .map(|name| libtest_info(name, &index, &file, &plan))
        .collect();
    Ok(Listing::Listed(Inventory {
        harness: Harness::Libtest,
        stranded: stranded(&links, &tests, &selecting, design.as_deref()),
        tests,
        harness_version: None,
        links_error,
    }))
}

/// The crate name of a test binary that cargo built: its file name without the hash cargo
/// adds (`kv-0123abcd` is crate `kv`).
fn crate_name(exe: &Path) -> String {
    let stem = exe
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem.into_owned(),
    }
}

/// One binary to list: its executable, its target's source file, how to run it.
pub struct ListJob<'a> {
    /// The executable.
    pub exe: &'a Path,
    /// The target's source file.
    pub src_path: &'a Path,
    /// How to run it.
    pub opts: &'a ExecOptions,
}

/// [`list_binary`] for every job, as many at once as there are cores; the listings in the
/// jobs' order.
pub fn list_binaries(
    jobs: &[ListJob<'_>],
    harness_args: &[String],
    for_run: bool,
) -> Vec<Result<Listing, Error>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out: Vec<Option<Result<Listing, Error>>> = (0..jobs.len()).map(|_| None).collect();
    let slots = std::sync::Mutex::new(&mut out);
    std::thread::scope(|scope| {
        for _ in 0..cores.min(jobs.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { return };
                    let listing =
                        list_binary(job.exe, job.src_path, job.opts, harness_args, for_run);
                    slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(listing);
                }
            });
        }
    });
    out.into_iter()
        .map(|l| l.expect("every job was listed"))
        .collect()
}

/// Whether the harness arguments run ignored tests (`--ignored` or `--include-ignored`).
pub fn runs_ignored(harness_args: &[String]) -> bool {
    harness_args
        .iter()
        .any(|a| a == "--ignored" || a == "--include-ignored")
}

/// What a libtest binary's listings say will run.
struct LibtestPlan {
    selected: HashSet<String>,
    ignored: HashSet<String>,
    /// `--ignored` or `--include-ignored` was given.
    run_ignored: bool,
    /// `--design`: the ids (subtrees expanded) whose tests run.
    design: Option<Vec<String>>,
}

/// A libtest test as the inventory lists it: its link (if a link record covers it; else the
/// target's source file, no ids) and its plan.
fn libtest_info(name: String, links: &LinkIndex<'_>, file: &str, plan: &LibtestPlan) -> TestInfo {
    // A test's own link first; a parameterised test's link for its cases.
    let link = links.find(&name);
    let ids = link.map(|l| l.ids.clone()).unwrap_or_default();
    let ignored = plan.ignored.contains(&name);
    let in_design = plan
        .design
        .as_ref()
        .is_none_or(|d| ids.iter().any(|i| d.contains(i)));
    let plan = if !plan.selected.contains(&name) || !in_design {
        Plan::Filtered
    } else if ignored && !plan.run_ignored {
        Plan::Ignored
    } else {
        Plan::Run
    };
    TestInfo {
        module_path: link.and_then(|l| l.module_path.clone()).unwrap_or_default(),
        file: link.map_or_else(|| file.to_owned(), |l| l.file.clone()),
        line: link.map_or(0, |l| l.line),
        ids,
        ignored,
        ignore_reason: None,
        should_panic: false,
        plan,
        name,
    }
}

/// `exe --list EXTRA...`: the test names.
fn list_libtest(exe: &Path, opts: &ExecOptions, extra: &[&str]) -> Result<Vec<String>, Error> {
    let mut args = vec!["--list".to_owned()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let proc = exec::spawn(exe, opts, &args, None, true, &mut |_| {}, &mut Vec::new())?;
    Ok(libtest_names(&proc.stdout.text()))
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
    use crate::execute::strays::stranded;
    use exemplar_formats::links::Link;

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

    fn link(module_path: &str, function: &str, ids: &[&str]) -> Link {
        Link {
            module_path: Some(module_path.into()),
            function: function.into(),
            file: "src/lib.rs".into(),
            line: 7,
            ids: ids.iter().map(|s| s.to_string()).collect(),
            cases: function == "cases",
            plain: false,
        }
    }

    #[test]
    fn libtest_tests_take_their_links_and_plans() {
        let links = [
            link("kv::tests", "adds", &["S1"]),
            link("kv::tests", "cases", &["S2"]),
            link("kv::tests", "gone", &["S1"]),
        ];
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<HashSet<_>>();
        let plan = LibtestPlan {
            selected: set(&["tests::adds", "tests::cases::case_1", "tests::slow"]),
            ignored: set(&["tests::slow"]),
            run_ignored: false,
            design: None,
        };
        let names = [
            "tests::adds",
            "tests::cases::case_1",
            "tests::slow",
            "tests::other",
        ];
        let tests: Vec<TestInfo> = names
            .iter()
            .map(|n| {
                libtest_info(
                    n.to_string(),
                    &LinkIndex::new(&links),
                    "/p/src/lib.rs",
                    &plan,
                )
            })
            .collect();
        let got: Vec<(&str, Vec<String>, Plan)> = tests
            .iter()
            .map(|t| (t.name.as_str(), t.ids.clone(), t.plan))
            .collect();
        assert_eq!(
            got,
            [
                ("tests::adds", vec!["S1".to_owned()], Plan::Run),
                ("tests::cases::case_1", vec!["S2".to_owned()], Plan::Run),
                ("tests::slow", vec![], Plan::Ignored),
                ("tests::other", vec![], Plan::Filtered),
            ]
        );
        assert_eq!(tests[0].file, "src/lib.rs");
        assert_eq!(tests[2].file, "/p/src/lib.rs");
        let lost = stranded(&links, &tests, &[], None);
        assert_eq!(lost.len(), 1);
        assert_eq!(
            (lost[0].name.as_str(), lost[0].line, lost[0].plan),
            ("tests::gone", 7, Plan::Run)
        );
        let only = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let filtered = |args: &[&str], design: Option<&[String]>| {
            stranded(&links, &tests, &only(args), design)[0].plan
        };
        assert_eq!(filtered(&["gone"], None), Plan::Run);
        assert_eq!(filtered(&["adds"], None), Plan::Filtered);
        assert_eq!(filtered(&["--skip", "gone"], None), Plan::Filtered);
        assert_eq!(filtered(&["--exact", "gone"], None), Plan::Filtered);
        assert_eq!(filtered(&["--exact", "tests::gone"], None), Plan::Run);
        assert_eq!(filtered(&["--ignored"], None), Plan::Filtered);
        assert_eq!(filtered(&[], Some(&only(&["S2"]))), Plan::Filtered);
        assert_eq!(filtered(&[], Some(&only(&["S1"]))), Plan::Run);
    }
}
