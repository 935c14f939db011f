//! The run's one pool of worker processes, for the tests of every binary, whichever harness.
//!
//! The planned tests of every binary are cut into batches; each worker thread takes the next
//! batch the [`Schedule`] allows, of whichever binary, and runs it in a process of its own,
//! one test at a time (so that each test's start, end and output are known, and a slow binary
//! never holds the others back), with the crash and timeout handling of [`BinaryRun`].
//! Workers report through a channel, and the caller hears every event on its own thread, in
//! the order they came. `--isolate` makes every batch one test; `--test-threads N` sets the
//! number of workers; test groups bound how many of their batches run at once.

use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc;

use crate::errors::Error;
use crate::execute::binary::{
    BinaryRun, ExecOptions, Finished, Progress, alone_args, test_threads,
};
use crate::execute::list::Harness;
use crate::execute::schedule::{Batch, GroupLimit, Schedule};

/// The most tests one worker process is given at a time. Each process start costs (a
/// 10,000-test run of 256-test batches spent a tenth of its time starting 40 processes), and
/// libtest compares every test's name with every name given (`--exact`), so a binary costs
/// its tests squared whatever the batches: batches stay large.
const MAX_BATCH: usize = 1024;

/// The most tests one worker process is given at a time under `--fail-fast`: one, as nextest,
/// so that no test starts after the first failure (save those already running).
const FAIL_FAST_BATCH: usize = 1;

/// The most bytes of test names on one worker's command line: Windows allows 32,767
/// characters in all; Linux a quarter of the stack limit (2 MiB by default) for arguments and
/// environment together; other Unix systems as little as 256 KiB.
const MAX_BATCH_BYTES: usize = if cfg!(windows) {
    16 * 1024
} else if cfg!(target_os = "linux") {
    256 * 1024
} else {
    64 * 1024
};

/// An event of a worker, owned, to cross to the caller's thread.
enum Message {
    Started(String),
    Finished(Finished),
    Amended(Finished),
    Warning(String),
    Slow(String, f64),
    Done(Result<(), Error>),
}

/// One binary's share of a pool: its executable, its harness, how to run it, its planned
/// tests.
pub(crate) struct PoolJob<'a> {
    /// The executable.
    pub(crate) exe: &'a Path,
    /// Its harness.
    pub(crate) harness: Harness,
    /// How to run it.
    pub(crate) opts: &'a ExecOptions,
    /// The tests to run, each with its test group's index in the pool's limits.
    pub(crate) planned: Vec<PlannedTest>,
    /// `planned` is every test the binary has (a libtest binary), so a process may run them
    /// all without naming them.
    pub(crate) whole: bool,
    /// Failing tests of the job run again alone to capture their output (exemplar harness).
    pub(crate) captured: AtomicUsize,
}

/// A test to run, its test group, and how long it took the last time it ran.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlannedTest {
    /// Its name.
    pub(crate) name: String,
    /// Its group's index in [`Pool::groups`], with the group's retries.
    pub(crate) group: Option<usize>,
    /// Seconds it took in the journal's latest run that ran it (0: unknown).
    pub(crate) expected: f64,
}

/// A test expected to take at least this long (seconds) gets a process of its own, started
/// early: batched with others, it would hold them back, and started late, it would hold back
/// the end of the run.
pub(crate) const LONG_TEST: f64 = 0.2;

/// How the pool shares itself: the test groups' limits and retries, and `--fail-fast`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pool {
    /// Each group's limit, by index.
    pub(crate) groups: Vec<GroupLimit>,
    /// Each group's retries, by index (`None`: the job's).
    pub(crate) group_retries: Vec<Option<u32>>,
    /// Start no test after one has failed.
    pub(crate) fail_fast: bool,
}

/// Tests that never ran: `--fail-fast` stopped the run first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unrun {
    /// The index of their job.
    pub(crate) job: usize,
    /// Their names.
    pub(crate) names: Vec<String>,
}

/// Run `planned` tests of binary `exe` to an outcome each, alone in a pool.
pub(crate) fn run(
    exe: &Path,
    harness: Harness,
    opts: &ExecOptions,
    planned: Vec<String>,
    on: &mut dyn FnMut(Progress<'_>),
) -> Result<(), Error> {
    let planned = planned
        .into_iter()
        .map(|name| PlannedTest {
            name,
            group: None,
            expected: 0.0,
        })
        .collect();
    let job = PoolJob::new(exe, harness, opts, planned);
    run_many(std::slice::from_ref(&job), &Pool::default(), &mut |_, p| {
        on(p)
    })
    .map(|_| ())
}

impl<'a> PoolJob<'a> {
    /// The job of `planned` tests of `exe`.
    pub(crate) fn new(
        exe: &'a Path,
        harness: Harness,
        opts: &'a ExecOptions,
        planned: Vec<PlannedTest>,
    ) -> PoolJob<'a> {
        PoolJob {
            exe,
            harness,
            opts,
            planned,
            whole: false,
            captured: AtomicUsize::new(0),
        }
    }
}

/// Run the planned tests of every job to an outcome each, in one pool of workers (as many as
/// the first job's options say); `on` hears each event with the index of its job. Returns
/// the tests that never started (`--fail-fast`).
pub(crate) fn run_many(
    jobs: &[PoolJob<'_>],
    pool: &Pool,
    on: &mut dyn FnMut(usize, Progress<'_>),
) -> Result<Vec<Unrun>, Error> {
    let Some(first) = jobs.first() else {
        return Ok(Vec::new());
    };
    let total: usize = jobs.iter().map(|j| j.planned.len()).sum();
    let workers = worker_count(first.opts).min(total).max(1);
    let mut queue = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let most = if pool.fail_fast {
            FAIL_FAST_BATCH
        } else {
            MAX_BATCH
        };
        let share = total.div_ceil(workers);
        if whole_batch(job, share, most) {
            let names = job.planned.iter().map(|t| t.name.clone()).collect();
            let expected = job.planned.iter().map(|t| t.expected).sum();
            queue.push(Batch {
                job: i,
                names,
                group: None,
                whole: true,
                expected,
            });
        } else {
            queue.extend(batches(i, &job.planned, workers, job.opts.isolate, most));
        }
    }
    // Longest first (as they took last time): the run ends when its longest chain does.
    queue.sort_by(|a, b| b.expected.total_cmp(&a.expected));
    let schedule = Schedule::new(queue, pool.groups.clone());
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let schedule = &schedule;
            scope.spawn(move || {
                let result = work(jobs, pool, schedule, &tx);
                if result.is_err() {
                    schedule.stop();
                }
                let _ = tx.send((0, Message::Done(result)));
            });
        }
        drop(tx);
        let mut first_error = None;
        for (job, message) in rx {
            match message {
                Message::Started(n) => on(job, Progress::Started(&n)),
                Message::Finished(f) => on(job, Progress::Finished(&f)),
                Message::Amended(f) => on(job, Progress::Amended(&f)),
                Message::Warning(w) => on(job, Progress::Warning(&w)),
                Message::Slow(name, seconds) => on(
                    job,
                    Progress::Slow {
                        name: &name,
                        seconds,
                    },
                ),
                Message::Done(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Message::Done(Ok(())) => {}
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        let left = schedule.left().into_iter();
        Ok(left
            .map(|b| Unrun {
                job: b.job,
                names: b.names,
            })
            .collect())
    })
}

/// One worker: take batches until none is left.
fn work(
    jobs: &[PoolJob<'_>],
    pool: &Pool,
    schedule: &Schedule,
    tx: &mpsc::Sender<(usize, Message)>,
) -> Result<(), Error> {
    while let Some(batch) = schedule.next() {
        let failed = run_batch(jobs, pool, &batch, tx);
        // Stopped before the batch is released: a worker it held back starts nothing.
        if pool.fail_fast && matches!(failed, Ok(true)) {
            schedule.stop();
        }
        schedule.done(&batch);
        failed?;
    }
    Ok(())
}

/// Run one batch to an outcome for each of its tests; whether any failed (after retries).
fn run_batch(
    jobs: &[PoolJob<'_>],
    pool: &Pool,
    batch: &Batch,
    tx: &mpsc::Sender<(usize, Message)>,
) -> Result<bool, Error> {
    let i = batch.job;
    let job = &jobs[i];
    let mut send = |p: Progress<'_>| {
        let m = match p {
            Progress::Started(n) => Message::Started(n.to_owned()),
            Progress::Finished(f) => Message::Finished(f.clone()),
            Progress::Amended(f) => Message::Amended(f.clone()),
            Progress::Warning(w) => Message::Warning(w.to_owned()),
            Progress::Slow { name, seconds } => Message::Slow(name.to_owned(), seconds),
            Progress::Inventory(_) => return,
        };
        let _ = tx.send((i, m));
    };
    let group_retries = batch.group.and_then(|g| pool.group_retries[g]);
    let mut run = BinaryRun {
        exe: job.exe,
        opts: job.opts,
        harness: job.harness,
        retries: group_retries.unwrap_or(job.opts.retries),
        on: &mut send,
        results: Vec::new(),
    };
    let names = &batch.names;
    if job.opts.isolate {
        for name in names {
            run.alone(name)?;
        }
    } else {
        let first = match batch.whole {
            true => run.spawn_unnamed(names)?,
            false => run.spawn(&alone_args(), Some(names))?,
        };
        run.until_done(first, names, Some("1"))?;
    }
    run.retry_failures(0)?;
    if job.harness == Harness::Exemplar && !job.opts.no_capture && !job.opts.isolate {
        run.capture_failures(&job.captured)?;
    }
    Ok(run.results.iter().any(|r| r.outcome.is_failing()))
}

/// How many worker processes run at once: `--test-threads N`, else `RUST_TEST_THREADS` (as
/// libtest reads it), else one per core; one when the tests' output streams live.
fn worker_count(opts: &ExecOptions) -> usize {
    if opts.no_capture {
        return 1;
    }
    test_threads(&opts.harness_args)
        .or_else(|| std::env::var("RUST_TEST_THREADS").ok())
        .and_then(|t| t.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Whether `job` runs as one batch of all its binary's tests, started without names: a
/// libtest binary whose every test is planned, in no test group, and no more than a worker's
/// fair `share` of the run (a larger one is cut, so that the workers share it), when batches
/// may hold more than one test (not under `--fail-fast` or `--isolate`).
fn whole_batch(job: &PoolJob<'_>, share: usize, most: usize) -> bool {
    job.whole
        && job.harness == Harness::Libtest
        && !job.opts.isolate
        && most > 1
        && job.planned.len() <= share
        && job
            .planned
            .iter()
            .all(|t| t.group.is_none() && t.expected < LONG_TEST)
}

/// Job `job`'s `planned` tests cut into batches, in order and by test group: about two per
/// worker, so that a worker that finishes early takes more (each batch costs a process
/// start), and none larger than `most`; one test each under `--isolate`.
fn batches(
    job: usize,
    planned: &[PlannedTest],
    workers: usize,
    isolate: bool,
    most: usize,
) -> Vec<Batch> {
    let size = if isolate {
        1
    } else {
        planned.len().div_ceil(workers * 2).clamp(1, most)
    };
    let mut groups: Vec<Option<usize>> = planned.iter().map(|t| t.group).collect();
    groups.sort();
    groups.dedup();
    let mut out = Vec::new();
    let batch = |names: Vec<String>, group, expected| Batch {
        job,
        names,
        group,
        whole: false,
        expected,
    };
    for group in groups {
        let mut names: Vec<String> = Vec::new();
        let (mut bytes, mut expected) = (0, 0.0);
        for t in planned.iter().filter(|t| t.group == group) {
            if t.expected >= LONG_TEST {
                out.push(batch(vec![t.name.clone()], group, t.expected));
                continue;
            }
            if !names.is_empty()
                && (names.len() == size || bytes + t.name.len() + 1 > MAX_BATCH_BYTES)
            {
                out.push(batch(std::mem::take(&mut names), group, expected));
                (bytes, expected) = (0, 0.0);
            }
            bytes += t.name.len() + 1;
            expected += t.expected;
            names.push(t.name.clone());
        }
        if !names.is_empty() {
            out.push(batch(names, group, expected));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(names: &[String], group: Option<usize>) -> Vec<PlannedTest> {
        let test = |n: &String| PlannedTest {
            name: n.clone(),
            group,
            expected: 0.0,
        };
        names.iter().map(test).collect()
    }

    fn flat(b: &[Batch]) -> Vec<String> {
        b.iter().flat_map(|b| b.names.clone()).collect()
    }

    #[test]
    fn a_long_test_has_a_batch_of_its_own() {
        let names: Vec<String> = (0..12).map(|i| format!("t{i:02}")).collect();
        let mut p = planned(&names, None);
        p[3].expected = 9.5;
        p[7].expected = LONG_TEST;
        p[8].expected = 0.05;
        let b = batches(0, &p, 2, false, MAX_BATCH);
        let alone: Vec<&Batch> = b.iter().filter(|b| b.expected >= LONG_TEST).collect();
        assert_eq!(alone.len(), 2, "{b:?}");
        assert!(alone.iter().all(|b| b.names.len() == 1));
        assert_eq!(
            (alone[0].names[0].as_str(), alone[0].expected),
            ("t03", 9.5)
        );
        assert_eq!(alone[1].names[0], "t07");
        let mut all = flat(&b);
        all.sort();
        assert_eq!(all, names, "every test once");
        let with_t08 = b
            .iter()
            .find(|b| b.names.contains(&"t08".to_owned()))
            .unwrap();
        assert!((with_t08.expected - 0.05).abs() < 1e-9);
    }

    #[test]
    fn batches_cover_every_test_once_in_order() {
        let names: Vec<String> = (0..1000).map(|i| format!("t{i:04}")).collect();
        let p = planned(&names, None);
        let b = batches(0, &p, 2, false, MAX_BATCH);
        assert_eq!(b.len(), 4);
        assert_eq!(flat(&b), names);
        let big: Vec<String> = (0..10_000).map(|i| format!("t{i}")).collect();
        let big = batches(0, &planned(&big, None), 2, false, MAX_BATCH);
        assert!(big.iter().all(|b| b.names.len() <= MAX_BATCH));
        assert_eq!(batches(0, &p[..3], 8, false, MAX_BATCH).len(), 3);
        assert!(
            batches(0, &p, 2, true, MAX_BATCH)
                .iter()
                .all(|b| b.names.len() == 1)
        );
        assert!(
            batches(0, &p, 2, false, 8)
                .iter()
                .all(|b| b.names.len() <= 8)
        );
        assert!(
            batches(0, &p, 2, false, FAIL_FAST_BATCH)
                .iter()
                .all(|b| b.names.len() == 1)
        );
        // Names long enough that the byte limit, not the count, cuts the batches.
        let count = MAX_BATCH_BYTES / 2_000 * 3;
        let long: Vec<String> = (0..count).map(|i| format!("{i:0>2000}")).collect();
        let b = batches(0, &planned(&long, None), 1, false, MAX_BATCH);
        let bytes = |b: &Batch| b.names.iter().map(|n| n.len() + 1).sum::<usize>();
        assert!(b.len() >= 3, "{} batches", b.len());
        assert!(b.iter().all(|b| bytes(b) <= MAX_BATCH_BYTES));
        assert_eq!(flat(&b), long);
    }

    #[test]
    fn a_binary_runs_unnamed_only_when_all_its_tests_fit_a_fair_share() {
        let names: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
        let (opts, isolated) = (
            ExecOptions::default(),
            ExecOptions {
                isolate: true,
                ..ExecOptions::default()
            },
        );
        let exe = Path::new("bin");
        let job = |opts, whole, harness| {
            let mut j = PoolJob::new(exe, harness, opts, planned(&names, None));
            j.whole = whole;
            j
        };
        let libtest = job(&opts, true, Harness::Libtest);
        assert!(whole_batch(&libtest, 10, MAX_BATCH));
        assert!(!whole_batch(&libtest, 9, MAX_BATCH), "more than a share");
        assert!(!whole_batch(&libtest, 10, FAIL_FAST_BATCH));
        assert!(!whole_batch(
            &job(&opts, false, Harness::Libtest),
            10,
            MAX_BATCH
        ));
        assert!(!whole_batch(
            &job(&opts, true, Harness::Exemplar),
            10,
            MAX_BATCH
        ));
        assert!(!whole_batch(
            &job(&isolated, true, Harness::Libtest),
            10,
            MAX_BATCH
        ));
        let mut grouped = job(&opts, true, Harness::Libtest);
        grouped.planned[3].group = Some(0);
        assert!(!whole_batch(&grouped, 10, MAX_BATCH));
    }

    #[test]
    fn a_batch_holds_the_tests_of_one_group() {
        let mut p = planned(&["a".into(), "b".into(), "c".into()], None);
        p[1].group = Some(0);
        let b = batches(3, &p, 1, false, MAX_BATCH);
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].group, flat(&b[..1])),
            (None, vec!["a".into(), "c".into()])
        );
        assert_eq!((b[1].group, b[1].job), (Some(0), 3));
    }
}
